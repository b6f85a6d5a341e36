import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
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
  const info = await lstat(path).catch(() => undefined);
  if (!info?.isFile()) return 'missing';
  return bytes === null || info.size === bytes ? 'ok' : 'changed';
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
