import { readFile } from 'node:fs/promises';
import { id3v2LengthBytes, mp3FrameAt } from '../segmind/audio.js';
import { AudioFormatError } from './audio-errors.js';
import { createAtomicFile } from './atomic-file.js';

/** What `concatMp3` wrote: MPEG frames kept, and the samples they decode to. */
export type Mp3Joined = {
  readonly file: string;
  readonly frames: number;
  readonly samples: number;
  readonly sampleRate: number;
};

const ID3V1_BYTES = 128;

/** One file's MPEG frames, without tags, junk between frames, or a Xing/Info frame. */
type Mp3Parts = {
  readonly id3v2: Buffer;
  readonly id3v1: Buffer | undefined;
  readonly frames: Buffer[];
  readonly samples: number;
  readonly sampleRate: number | undefined;
  readonly mono: boolean | undefined;
};

function splitMp3(file: string, bytes: Buffer): Mp3Parts {
  const tagBytes = Math.min(id3v2LengthBytes(bytes), bytes.length);
  const tail = bytes.subarray(Math.max(tagBytes, bytes.length - ID3V1_BYTES));
  const id3v1 = tail.length === ID3V1_BYTES && tail.toString('latin1', 0, 3) === 'TAG' ? tail : undefined;
  const end = bytes.length - (id3v1 === undefined ? 0 : ID3V1_BYTES);
  const frames: Buffer[] = [];
  let samples = 0;
  let sampleRate: number | undefined;
  let mono: boolean | undefined;
  for (let offset = tagBytes; offset + 4 <= end;) {
    const frame = mp3FrameAt(bytes, offset);
    if (frame === undefined || offset + frame.lengthBytes > end) {
      offset += 1;
      continue;
    }
    const body = bytes.subarray(offset, offset + frame.lengthBytes);
    offset += frame.lengthBytes;
    const head = body.toString('latin1', 4, Math.min(body.length, 64));
    // Its frame count describes this file alone: wrong once joined.
    if (frames.length === 0 && (head.includes('Xing') || head.includes('Info'))) continue;
    const frameMono = (body[3] ?? 0) >> 6 === 3;
    if ((sampleRate ?? frame.sampleRate) !== frame.sampleRate || (mono ?? frameMono) !== frameMono) {
      throw new AudioFormatError(file, 'MP3 frames change sample rate or channels midway');
    }
    sampleRate = frame.sampleRate;
    mono = frameMono;
    samples += frame.samples;
    frames.push(body);
  }
  if (frames.length === 0) throw new AudioFormatError(file, 'MP3 without a frame');
  return { id3v2: bytes.subarray(0, tagBytes), id3v1, frames, samples, sampleRate, mono };
}

/**
 * Joins MP3 files by their frames, without decoding (the parts of a long row, when there is no
 * ffmpeg): the first file's ID3v2 tag leads and its ID3v1 tag ends the result; every other tag,
 * any junk between frames, and Xing/Info frames (their counts would describe one part) are
 * dropped. All files must share sample rate and channel mode. One file is in memory at a time;
 * the result lands atomically.
 */
export async function concatMp3(
  files: readonly string[],
  out: string,
  options: { readonly signal?: AbortSignal } = {},
): Promise<Mp3Joined> {
  if (files.length === 0) throw new RangeError('Expected at least one MP3 file to join, got none');
  const target = await createAtomicFile(out);
  let first: Mp3Parts | undefined;
  let frames = 0;
  let samples = 0;
  try {
    for (const file of files) {
      options.signal?.throwIfAborted();
      const parts = splitMp3(file, await readFile(file));
      if (first === undefined) {
        first = parts;
        await target.append(parts.id3v2);
      } else if (parts.sampleRate !== first.sampleRate || parts.mono !== first.mono) {
        throw new AudioFormatError(
          file,
          `MP3 at ${parts.sampleRate} Hz does not match the first part's ${first.sampleRate} Hz (or its channels)`,
        );
      }
      await target.append(Buffer.concat(parts.frames));
      frames += parts.frames.length;
      samples += parts.samples;
    }
    if (first?.id3v1 !== undefined) await target.append(first.id3v1);
    options.signal?.throwIfAborted();
    return { file: await target.finish(), frames, samples, sampleRate: first?.sampleRate ?? 0 };
  } catch (error) {
    await target.discard();
    throw error;
  }
}
