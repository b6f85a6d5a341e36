import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { concatMp3 } from '../../audio/concat-mp3.js';
import { joinClips } from '../../audio/join-clips.js';

/** Silence between two parts of a row, after each part's own silence is trimmed to the pad: a sentence's pause. */
export const PART_GAP_MS = 150;

/** The row's one file, joined from its parts. */
export type JoinedFile = {
  readonly file: string;
  readonly bytes: number;
  readonly durationS: number;
  readonly sha256: string;
};

/**
 * Joins a row's part files, in order, into `<dir>/<name>.wav|.mp3`, atomically (a file that
 * exists is complete; joining again after a crash writes the same bytes). WAV parts: each
 * part's leading and trailing silence trimmed to a fixed pad, then a short pause; MP3 parts:
 * their frames concatenated, without decoding. Parts must share one format.
 */
export async function joinPartFiles(
  files: readonly string[],
  dir: string,
  name: string,
): Promise<JoinedFile> {
  const kinds = new Set(files.map((file) => extname(file)));
  if (kinds.size !== 1)
    throw new Error(`the parts came back in different formats (${[...kinds].join(', ')})`);
  if (kinds.has('.mp3')) {
    const out = join(dir, `${name}.mp3`);
    const joined = await concatMp3(files, out);
    return describe(out, joined.sampleRate > 0 ? joined.samples / joined.sampleRate : 0);
  }
  const out = join(dir, `${name}.wav`);
  const layout = await joinClips({
    clips: files.map((file, index) => ({ id: String(index), file })),
    out,
    gapsMs: PART_GAP_MS,
    trim: true,
  });
  return describe(out, layout.totalSamples / layout.sampleRate);
}

async function describe(path: string, durationS: number): Promise<JoinedFile> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const { size } = await stat(path);
  return { file: basename(path), bytes: size, durationS, sha256: hash.digest('hex') };
}
