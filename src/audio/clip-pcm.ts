import { constants } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { uniqueTempName } from '../output/run-files.js';
import { GEMINI_PCM, SNIFF_BYTES, detectAudioFormat } from '../segmind/audio.js';
import { AudioFormatError, NeedsFfmpeg } from './audio-errors.js';
import { readAt, readWavInfoFrom, type PcmFormat, type WavInfo } from './wav-file.js';

/** Turns a compressed file into 16-bit LE PCM at 24 kHz mono (Gemini's format), chunk by chunk. */
export type Decode = (file: string) => AsyncIterable<Buffer>;

/** A clip as found on disk before any sample is read. */
export type ClipProbe =
  | { readonly kind: 'wav'; readonly file: string; readonly info: WavInfo }
  | { readonly kind: 'mp3'; readonly file: string; readonly info: { readonly format: PcmFormat } };

/** A clip's samples in a file, to be read in passes: the clip's own WAV, or its MP3 decoded. */
export type PcmSource = {
  readonly file: string;
  readonly dataOffset: number;
  readonly frames: number;
  readonly frameBytes: number;
  /** Removes what was made for it (a decoded MP3). */
  release(): Promise<void>;
};

const BIG_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 0;
const READ_BYTES = 1024 * 1024;

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

/** Decodes an MP3 clip into a raw PCM file beside `near` (on the same disk, not in memory). */
async function decodeToFile(probe: ClipProbe, decode: Decode, near: string): Promise<PcmSource> {
  const target = resolve(near);
  const path = join(dirname(target), uniqueTempName(`${basename(target)}.pcm`));
  const release = (): Promise<void> => rm(path, { force: true });
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const handle = await open(path, flags, 0o600);
  let bytes = 0;
  try {
    for await (const chunk of decode(probe.file)) {
      for (let done = 0; done < chunk.length;) {
        done += (await handle.write(chunk, done, chunk.length - done, bytes + done)).bytesWritten;
      }
      bytes += chunk.length;
    }
  } catch (error) {
    await handle.close();
    await release();
    throw error;
  }
  await handle.close();
  if (bytes % 2 !== 0) {
    await release();
    throw new AudioFormatError(probe.file, 'decoded to an odd number of bytes');
  }
  const frameBytes = (GEMINI_PCM.channels * GEMINI_PCM.bitsPerSample) / 8;
  return { file: path, dataOffset: 0, frames: Math.floor(bytes / frameBytes), frameBytes, release };
}

/** Where a probed clip's samples can be read from: the WAV itself, or the MP3 decoded beside `near`. */
export async function pcmSource(
  probe: ClipProbe,
  decode: Decode | undefined,
  near: string,
): Promise<PcmSource> {
  if (probe.kind === 'mp3') {
    if (decode === undefined) throw new NeedsFfmpeg(probe.file);
    return decodeToFile(probe, decode, near);
  }
  const { format, dataOffset, frames } = probe.info;
  const frameBytes = (format.channels * format.bitsPerSample) / 8;
  return { file: probe.file, dataOffset, frames, frameBytes, release: () => Promise.resolve() };
}

/**
 * Frames `[start, end)` of a source, about a MB at a time. Each chunk is a view of one reused
 * buffer: use it (or copy it) before asking for the next.
 */
export async function* readFrames(source: PcmSource, start: number, end: number): AsyncGenerator<Int16Array> {
  const handle = await open(source.file, 'r');
  try {
    const buffer = Buffer.alloc(Math.max(1, Math.floor(READ_BYTES / source.frameBytes)) * source.frameBytes);
    for (let frame = start; frame < end;) {
      const bytes = Math.min(buffer.length, (end - frame) * source.frameBytes);
      const position = source.dataOffset + frame * source.frameBytes;
      for (let done = 0; done < bytes;) {
        const { bytesRead } = await handle.read(buffer, done, bytes - done, position + done);
        if (bytesRead === 0) throw new AudioFormatError(source.file, 'shorter than when it was probed');
        done += bytesRead;
      }
      yield int16Samples(buffer.subarray(0, bytes));
      frame += bytes / source.frameBytes;
    }
  } finally {
    await handle.close();
  }
}
