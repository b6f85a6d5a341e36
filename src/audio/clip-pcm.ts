import { open } from 'node:fs/promises';
import { GEMINI_PCM, SNIFF_BYTES, detectAudioFormat } from '../segmind/audio.js';
import { AudioFormatError, NeedsFfmpeg } from './audio-errors.js';
import { readAt, readWavInfoFrom, type PcmFormat, type WavInfo } from './wav-file.js';

/** Turns a compressed file into 16-bit LE PCM at 24 kHz mono (Gemini's format), chunk by chunk. */
export type Decode = (file: string) => AsyncIterable<Buffer>;

/** A clip as found on disk before any sample is read. */
export type ClipProbe =
  | { readonly kind: 'wav'; readonly file: string; readonly info: WavInfo }
  | { readonly kind: 'mp3'; readonly file: string; readonly info: { readonly format: PcmFormat } };

const BIG_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 0;

/** Reads a clip's header: WAV (16-bit PCM) or MP3 (needs `decode`, else `NeedsFfmpeg`). */
export async function probeClip(file: string, decode: Decode | undefined): Promise<ClipProbe> {
  const handle = await open(file, 'r');
  try {
    const head = await readAt(handle, 0, SNIFF_BYTES);
    const kind = detectAudioFormat(head);
    if (kind === 'mp3') {
      if (decode === undefined) throw new NeedsFfmpeg(file);
      return { kind, file, info: { format: GEMINI_PCM } };
    }
    if (kind !== 'wav') throw new AudioFormatError(file, 'neither WAV nor MP3');
    const info = await readWavInfoFrom(handle, file);
    if (info.format.bitsPerSample !== 16) {
      throw new AudioFormatError(file, `${info.format.bitsPerSample}-bit WAV (only 16-bit PCM is joined)`);
    }
    return { kind, file, info };
  } finally {
    await handle.close();
  }
}

/** 16-bit LE bytes as samples (copied only when unaligned or on a big-endian host). */
export function int16Samples(bytes: Buffer): Int16Array {
  const aligned = bytes.byteOffset % 2 === 0 && !BIG_ENDIAN_HOST ? bytes : Buffer.from(bytes);
  if (BIG_ENDIAN_HOST) aligned.swap16();
  return new Int16Array(aligned.buffer, aligned.byteOffset, Math.floor(aligned.byteLength / 2));
}

/** Samples back to 16-bit LE bytes. */
export function int16Bytes(samples: Int16Array): Buffer {
  const bytes = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  return BIG_ENDIAN_HOST ? Buffer.from(bytes).swap16() : bytes;
}

/** Every sample of a probed clip, in memory (one clip at a time: a few MB). */
export async function loadClipPcm(probe: ClipProbe, decode: Decode | undefined): Promise<Int16Array> {
  if (probe.kind === 'wav') {
    const handle = await open(probe.file, 'r');
    try {
      const bytes = await readAt(handle, probe.info.dataOffset, probe.info.dataBytes);
      if (bytes.length !== probe.info.dataBytes) throw new AudioFormatError(probe.file, 'changed while read');
      return int16Samples(bytes);
    } finally {
      await handle.close();
    }
  }
  if (decode === undefined) throw new NeedsFfmpeg(probe.file);
  const chunks: Buffer[] = [];
  for await (const chunk of decode(probe.file)) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  if (bytes.length % 2 !== 0) throw new AudioFormatError(probe.file, 'decoded to an odd number of bytes');
  return int16Samples(bytes);
}
