// MP3 without an encoder: no pure-JS encoder is a dependency of this project, so the stream is
// made of valid, silent frames. Each is an MPEG-2 Layer III frame (the MPEG version that has a
// 24 kHz sample rate; MPEG-1 has only 32, 44.1 and 48 kHz), mono, 32 kbit/s, no CRC, whose side
// information is all zero: zero-length main data, which any decoder plays as 576 samples of silence.
// The frame count matches the PCM duration, so players and byte-sniffing clients see the right length.

export const MP3_SAMPLES_PER_FRAME = 576;
export const MP3_SAMPLE_RATE_HZ = 24_000;
export const MP3_BITRATE_KBPS = 32;
/** 72 · bitrate / sample rate for MPEG-2 Layer III: 72 · 32000 / 24000 = 96, no padding needed. */
export const MP3_FRAME_BYTES = (72 * MP3_BITRATE_KBPS * 1000) / MP3_SAMPLE_RATE_HZ;

/** 0xFFF3: sync, MPEG-2, Layer III, no CRC; 0x44: 32 kbit/s, 24 kHz, no padding; 0xC4: mono, original. */
const FRAME_HEADER = Buffer.from([0xff, 0xf3, 0x44, 0xc4]);

/** A minimal ID3v2.3 tag naming the encoder, as real MP3 files usually start with one. */
function id3Tag(): Buffer {
  const text = Buffer.from('\u0000tts-batch simulator (silent frames)', 'latin1');
  const frame = Buffer.alloc(10 + text.length);
  frame.write('TSSE', 0, 'ascii');
  frame.writeUInt32BE(text.length, 4);
  text.copy(frame, 10);
  const header = Buffer.from([0x49, 0x44, 0x33, 3, 0, 0, 0, 0, 0, 0]);
  // The tag size is "syncsafe": 7 bits per byte.
  const size = frame.length;
  header[6] = (size >> 21) & 0x7f;
  header[7] = (size >> 14) & 0x7f;
  header[8] = (size >> 7) & 0x7f;
  header[9] = size & 0x7f;
  return Buffer.concat([header, frame]);
}

/** An ID3v2 tag then ceil(samples / 576) silent frames. */
export function mp3Stream(samples: number): Buffer {
  const frames = Math.ceil(samples / MP3_SAMPLES_PER_FRAME);
  const tag = id3Tag();
  const stream = Buffer.alloc(tag.length + frames * MP3_FRAME_BYTES);
  tag.copy(stream, 0);
  for (let i = 0; i < frames; i += 1) FRAME_HEADER.copy(stream, tag.length + i * MP3_FRAME_BYTES);
  return stream;
}
