import { createHash } from 'node:crypto';
import { DownloadError } from './errors.js';

/** Audio ready to save: `bytes` are exactly what goes to disk, `sha256` (hex) and `byteLength` are of those bytes. */
export type Audio = {
  readonly bytes: Buffer;
  readonly format: 'wav' | 'mp3';
  readonly extension: 'wav' | 'mp3';
  readonly durationS: number;
  readonly sha256: string;
  readonly byteLength: number;
};

/** What Gemini TTS produces when no container is given: 16-bit little-endian PCM, mono, 24 kHz. */
export const GEMINI_PCM = { sampleRate: 24_000, channels: 1, bitsPerSample: 16 } as const;

export const WAV_HEADER_BYTES = 44;

/**
 * Bytes that decide the format as surely as the whole file does: two MPEG frame headers (the longest
 * frame is 2,881 bytes) and a possible `TAG` after the first.
 */
export const SNIFF_BYTES = 8192;

function ascii(bytes: Uint8Array, start: number, length: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(
    'latin1',
    start,
    start + length,
  );
}

/** One MPEG audio frame header's facts. */
export type Mp3Frame = {
  readonly lengthBytes: number;
  readonly samples: number;
  readonly sampleRate: number;
};

const BITRATES_KBPS: Record<string, readonly number[]> = {
  '1-1': [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  '1-2': [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  '1-3': [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  '2-1': [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  '2-2': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const SAMPLE_RATES: Record<number, readonly number[]> = {
  3: [44_100, 48_000, 32_000],
  2: [22_050, 24_000, 16_000],
  0: [11_025, 12_000, 8_000],
};

/** Parses the MPEG audio frame header at `offset`, or `undefined` if there is none there. */
export function mp3FrameAt(bytes: Uint8Array, offset: number): Mp3Frame | undefined {
  if (offset + 4 > bytes.length) return undefined;
  const [b0, b1, b2] = [bytes[offset] ?? 0, bytes[offset + 1] ?? 0, bytes[offset + 2] ?? 0];
  if (b0 !== 0xff || (b1 & 0xe0) !== 0xe0) return undefined;
  const version = (b1 >> 3) & 3;
  const layer = 4 - ((b1 >> 1) & 3);
  const sampleRate = SAMPLE_RATES[version]?.[(b2 >> 2) & 3];
  if (layer === 4 || sampleRate === undefined) return undefined;
  const table = version === 3 ? `1-${layer}` : `2-${layer === 1 ? 1 : 2}`;
  const bitrateKbps = BITRATES_KBPS[table]?.[b2 >> 4];
  if (bitrateKbps === undefined || bitrateKbps === 0) return undefined;
  const padding = (b2 >> 1) & 1;
  const samples = layer === 1 ? 384 : layer === 3 && version !== 3 ? 576 : 1152;
  const lengthBytes =
    layer === 1
      ? (Math.floor((12 * bitrateKbps * 1000) / sampleRate) + padding) * 4
      : Math.floor(((samples / 8) * bitrateKbps * 1000) / sampleRate) + padding;
  return { lengthBytes, samples, sampleRate };
}

/** The length of a leading ID3v2 tag (0 when there is none). */
export function id3v2LengthBytes(bytes: Uint8Array): number {
  if (bytes.length < 10 || ascii(bytes, 0, 3) !== 'ID3') return 0;
  const size = bytes.subarray(6, 10).reduce((total, byte) => (total << 7) | (byte & 0x7f), 0);
  const footer = ((bytes[5] ?? 0) & 0x10) !== 0 ? 10 : 0;
  return 10 + size + footer;
}

/** The format of audio bytes, from the bytes alone: WAV (RIFF/WAVE), MP3 (ID3v2 or two consistent frame headers), else raw PCM. */
export function detectAudioFormat(bytes: Uint8Array): 'wav' | 'mp3' | 'pcm' {
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WAVE') return 'wav';
  if (bytes.length >= 10 && ascii(bytes, 0, 3) === 'ID3') return 'mp3';
  const first = mp3FrameAt(bytes, 0);
  if (first === undefined) return 'pcm';
  const next = first.lengthBytes;
  if (bytes.length < next) return 'pcm';
  if (bytes.length < next + 4 || ascii(bytes, next, 3) === 'TAG') return 'mp3';
  return mp3FrameAt(bytes, next) === undefined ? 'pcm' : 'mp3';
}

/** Wraps headerless PCM in a 44-byte canonical WAV header. */
export function pcmToWav(
  pcm: Buffer,
  sampleRate: number = GEMINI_PCM.sampleRate,
  channels: number = GEMINI_PCM.channels,
  bitsPerSample: number = GEMINI_PCM.bitsPerSample,
): Buffer {
  return Buffer.concat([wavHeader(pcm.length, sampleRate, channels, bitsPerSample), pcm]);
}

/** The 44-byte canonical WAV header for `dataBytes` of PCM (Gemini's format by default). */
export function wavHeader(
  dataBytes: number,
  sampleRate: number = GEMINI_PCM.sampleRate,
  channels: number = GEMINI_PCM.channels,
  bitsPerSample: number = GEMINI_PCM.bitsPerSample,
): Buffer {
  const blockAlign = (channels * bitsPerSample) / 8;
  const header = Buffer.alloc(WAV_HEADER_BYTES);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * blockAlign, 28);
  header.writeUInt16LE(blockAlign, 32);
  header.writeUInt16LE(bitsPerSample, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(dataBytes, 40);
  return header;
}

export function undecodable(why: string): DownloadError {
  return new DownloadError(`undecodable audio: ${why}`, { transient: false });
}

/** Duration of a WAV from its `fmt ` byte rate and its `data` chunk (clipped to the bytes present). */
export function wavDurationS(bytes: Buffer): number {
  let byteRate: number | undefined;
  for (let offset = 12; offset + 8 <= bytes.length;) {
    const id = bytes.toString('latin1', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    if (id === 'fmt ' && offset + 16 <= bytes.length) byteRate = bytes.readUInt32LE(offset + 16);
    if (id === 'data') {
      if (byteRate === undefined || byteRate === 0)
        throw undecodable('WAV data chunk before a usable fmt chunk');
      return Math.min(size, bytes.length - offset - 8) / byteRate;
    }
    offset += 8 + size + (size % 2);
  }
  throw undecodable('WAV without a data chunk');
}

/** Duration of an MP3 by walking its frame headers (after any ID3v2 tag), skipping a Xing/Info frame. */
export function mp3DurationS(bytes: Buffer): number {
  let offset = id3v2LengthBytes(bytes);
  const samplesByRate = new Map<number, number>();
  let frames = 0;
  while (offset + 4 <= bytes.length) {
    const frame = mp3FrameAt(bytes, offset);
    if (frame === undefined) {
      offset += 1;
      continue;
    }
    const head = bytes.toString('latin1', offset + 4, offset + Math.min(frame.lengthBytes, 64));
    const isInfoFrame = frames === 0 && (head.includes('Xing') || head.includes('Info'));
    if (!isInfoFrame) {
      samplesByRate.set(frame.sampleRate, (samplesByRate.get(frame.sampleRate) ?? 0) + frame.samples);
    }
    frames += 1;
    offset += Math.max(frame.lengthBytes, 1);
  }
  if (frames === 0) throw undecodable('MP3 without a frame');
  return [...samplesByRate].reduce((seconds, [rate, samples]) => seconds + samples / rate, 0);
}

/** Detects the format, wraps raw PCM (16-bit LE mono 24 kHz) into WAV, and measures and hashes the result. */
export function toAudio(bytes: Buffer): Audio {
  if (bytes.length === 0) throw undecodable('no bytes');
  const detected = detectAudioFormat(bytes);
  if (detected === 'pcm' && bytes.length % 2 !== 0) throw undecodable('odd byte count for 16-bit PCM');
  const saved = detected === 'pcm' ? pcmToWav(bytes) : bytes;
  const format = detected === 'mp3' ? 'mp3' : 'wav';
  const durationS = format === 'mp3' ? mp3DurationS(saved) : wavDurationS(saved);
  return {
    bytes: saved,
    format,
    extension: format,
    durationS,
    sha256: createHash('sha256').update(saved).digest('hex'),
    byteLength: saved.length,
  };
}
