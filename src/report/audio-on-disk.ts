import { createHash } from 'node:crypto';
import { createReadStream, lstat as lstatCallback, type Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { basename } from 'node:path';
import { pathInRun } from '../output/run-files.js';

/** A recorded audio file as found on disk: there with the recorded size, absent, or another size. */
export type AudioState = 'ok' | 'missing' | 'changed';

function audioPath(runDir: string, file: string): string | undefined {
  if (basename(file) !== file) return undefined;
  try {
    return pathInRun(runDir, file);
  } catch {
    return undefined;
  }
}

function stateOf(info: Stats | undefined, bytes: number | null): AudioState {
  if (!info?.isFile()) return 'missing';
  return bytes === null || info.size === bytes ? 'ok' : 'changed';
}

/** A recorded audio file to look for: its name in the run directory and recorded size. */
export type RecordedAudio = { readonly file: string | null; readonly bytes: number | null };

/**
 * `audioFileState` of many files at once, in their order: one lstat each, through the callback
 * API with one promise for the lot (at a million rows, a promise-API lstat per file costs
 * seconds more than the lstats themselves).
 */
export function audioFileStates(runDir: string, files: readonly RecordedAudio[]): Promise<AudioState[]> {
  const states = new Array<AudioState>(files.length).fill('missing');
  let left = files.length;
  return new Promise((resolve) => {
    if (left === 0) resolve(states);
    files.forEach(({ file, bytes }, at) => {
      const path = file === null ? undefined : audioPath(runDir, file);
      const settle = (info: Stats | undefined) => {
        states[at] = stateOf(info, bytes);
        left -= 1;
        if (left === 0) resolve(states);
      };
      if (path === undefined) settle(undefined);
      else lstatCallback(path, (error, info) => settle(error ? undefined : info));
    });
  });
}

/**
 * Whether `file` is a regular file in `runDir` of `bytes` bytes (any size when `bytes` is null).
 * Cheap (one lstat): what a re-enqueue and the final manifests check for every completed row.
 */
export async function audioFileState(
  runDir: string,
  file: string,
  bytes: number | null,
): Promise<AudioState> {
  const path = audioPath(runDir, file);
  if (path === undefined) return 'missing';
  return stateOf(await lstat(path).catch(() => undefined), bytes);
}

/**
 * Whether `file` in `runDir` is exactly the recorded audio: its size and its SHA-256 (read
 * through). What adopting a row from the output directory requires: a file of the right name
 * alone could be a truncated copy or another take.
 */
export async function audioFileMatches(
  runDir: string,
  file: string,
  bytes: number,
  sha256: string,
): Promise<boolean> {
  if ((await audioFileState(runDir, file, bytes)) !== 'ok') return false;
  const path = audioPath(runDir, file);
  if (path === undefined) return false;
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) hash.update(chunk);
  } catch {
    return false;
  }
  return hash.digest('hex') === sha256;
}
