import { createHash, type Hash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { makeDir, pathInRun, sweepStaleTemps, uniqueTempName } from '../output/run-files.js';
import { isSafeName, NAME_RULE } from '../script/row-id.js';
import { makeMp3Meter, makeWavMeter, type DurationMeter } from './audio-meter.js';
import { GEMINI_PCM, SNIFF_BYTES, detectAudioFormat, undecodable, wavHeader } from './audio.js';

/** Where a row's audio goes: `{dir}/{name}.{wav|mp3}`. `name` must be a plain file name (a row id). */
export type AudioTarget = { readonly dir: string; readonly name: string };

/** A saved audio file; `bytes` and `sha256` (hex) are of the bytes on disk. */
export type SavedAudioFile = {
  /** The file name inside `dir`, e.g. `row-7.wav`. */
  readonly file: string;
  readonly extension: 'wav' | 'mp3';
  readonly bytes: number;
  readonly durationS: number;
  readonly sha256: string;
};

/**
 * Lands audio fed chunk by chunk in its file atomically: a temporary file of its own in the same
 * directory, then fsync and rename. The format is sniffed from the first bytes; headerless PCM
 * (16-bit LE mono 24 kHz) gets a WAV header. Call `discard` if `finish` is not reached.
 */
export type AudioFileWriter = {
  /** The body's declared length when known: lets a PCM body's WAV header be written first. */
  begin(declaredBytes: number | undefined): void;
  write(chunk: Uint8Array): Promise<void>;
  finish(): Promise<SavedAudioFile>;
  /** Removes the temporary file, if any. Never throws. */
  discard(): Promise<void>;
};

export type AudioFileOptions = {
  /** Another writer's temporary file untouched for this long is a crashed writer's. */
  readonly staleTempMs: number;
};

const PCM_BYTE_RATE = (GEMINI_PCM.sampleRate * GEMINI_PCM.channels * GEMINI_PCM.bitsPerSample) / 8;

async function writeAll(handle: FileHandle, bytes: Uint8Array, position?: number): Promise<void> {
  for (let done = 0; done < bytes.byteLength;) {
    const at = position === undefined ? null : position + done;
    const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done, at);
    done += bytesWritten;
  }
}

async function hashFile(handle: FileHandle): Promise<string> {
  const hash = createHash('sha256');
  const buffer = Buffer.alloc(1024 * 1024);
  for (let position = 0; ;) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) return hash.digest('hex');
    hash.update(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
}

type Open = {
  readonly format: 'wav' | 'mp3' | 'pcm';
  readonly file: string;
  readonly temporary: string;
  readonly handle: FileHandle;
  readonly hash: Hash;
  readonly meter: DurationMeter | undefined;
  /** The data length the PCM header was written with. */
  readonly headerDataBytes: number;
};

/** Creates the writer; nothing touches the disk until the format is known. */
export function makeAudioFileWriter(target: AudioTarget, options: AudioFileOptions): AudioFileWriter {
  if (!isSafeName(target.name)) {
    throw new RangeError(`Expected \`name\` to be a row id (${NAME_RULE}), got \`${target.name}\``);
  }
  const dir = resolve(target.dir);
  let declaredBytes: number | undefined;
  let head: Uint8Array[] = [];
  let headBytes = 0;
  let opened: Open | undefined;
  let temporary: string | undefined;
  let written = 0;
  let inputBytes = 0;

  async function put(file: Open, bytes: Uint8Array): Promise<void> {
    await writeAll(file.handle, bytes);
    file.hash.update(bytes);
    file.meter?.feed(bytes);
    written += bytes.byteLength;
  }

  async function openFile(): Promise<Open> {
    const sniffed = Buffer.concat(head, headBytes);
    if (sniffed.length === 0) throw undecodable('no bytes');
    const format = detectAudioFormat(sniffed);
    const extension = format === 'mp3' ? 'mp3' : 'wav';
    const file = `${target.name}.${extension}`;
    pathInRun(dir, file);
    await makeDir(dir);
    await sweepStaleTemps(dir, [`${target.name}.wav`, `${target.name}.mp3`], options.staleTempMs);
    const path = join(dir, uniqueTempName(file));
    // Never through a link planted under the temporary name.
    const flags = constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    const handle = await open(path, flags, 0o644);
    temporary = path;
    const meter = format === 'wav' ? makeWavMeter() : format === 'mp3' ? makeMp3Meter(sniffed) : undefined;
    const headerDataBytes = format === 'pcm' ? (declaredBytes ?? 0) : 0;
    const state: Open = {
      format,
      file,
      temporary: path,
      handle,
      hash: createHash('sha256'),
      meter,
      headerDataBytes,
    };
    opened = state;
    if (format === 'pcm') await put(state, wavHeader(headerDataBytes));
    await put(state, sniffed);
    head = [];
    return state;
  }

  async function settle(file: Open): Promise<SavedAudioFile> {
    let sha256: string;
    let durationS: number;
    if (file.format === 'pcm') {
      const dataBytes = inputBytes;
      if (dataBytes % 2 !== 0) throw undecodable('odd byte count for 16-bit PCM');
      if (dataBytes !== file.headerDataBytes) {
        // The length was not declared (or not kept): the header is fixed now, so the hash needs a second read.
        await writeAll(file.handle, wavHeader(dataBytes), 0);
        sha256 = await hashFile(file.handle);
      } else {
        sha256 = file.hash.digest('hex');
      }
      durationS = dataBytes / PCM_BYTE_RATE;
    } else {
      durationS = file.meter?.finish() ?? 0;
      sha256 = file.hash.digest('hex');
    }
    await file.handle.sync();
    await file.handle.close();
    opened = undefined;
    await rename(file.temporary, join(dir, file.file));
    temporary = undefined;
    const extension = file.format === 'mp3' ? 'mp3' : 'wav';
    return { file: file.file, extension, bytes: written, durationS, sha256 };
  }

  return {
    begin(bytes) {
      declaredBytes = bytes;
    },
    async write(chunk) {
      if (chunk.byteLength === 0) return;
      inputBytes += chunk.byteLength;
      if (opened !== undefined) return put(opened, chunk);
      head.push(chunk);
      headBytes += chunk.byteLength;
      if (headBytes >= SNIFF_BYTES) await openFile();
    },
    async finish() {
      return settle(opened ?? (await openFile()));
    },
    async discard() {
      const handle = opened?.handle;
      opened = undefined;
      await handle?.close().catch(() => undefined);
      if (temporary !== undefined) await rm(temporary, { force: true }).catch(() => undefined);
      temporary = undefined;
    },
  };
}
