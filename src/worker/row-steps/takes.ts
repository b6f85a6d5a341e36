import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import type { RowProgress, SavedAudio } from '../../queue/row-progress.js';
import type { Row } from './row-context.js';

/** A take kept aside after it failed its checks: its audio, and why it failed. */
export type SavedTake = SavedAudio & {
  /** Path of the take's file relative to the row's audio folder. */
  readonly takeFile: string;
  readonly qaReasons: string;
  readonly measured: Readonly<Record<string, number | string | null>>;
  /**
   * Set aside by a retake with another voice or temperature (`retake --voice --temperature`): a
   * take of the version the person replaced, never kept over a take of the new one, removed once
   * the new one is kept.
   */
  readonly superseded?: boolean;
};

export function readTakes(progress: RowProgress): SavedTake[] {
  if (!progress.takes) return [];
  try {
    return JSON.parse(progress.takes) as SavedTake[];
  } catch {
    return [];
  }
}

/** Where take `n` (1-based) of the row's audio waits: `.takes/<name>.take<n>.<ext>` beside it. */
export function takeFileOf(row: Row, saved: SavedAudio, n: number): string {
  return join('.takes', `${row.audioTarget.name}.take${n}${extname(saved.file)}`);
}

/** Moves a take's file aside (a file already moved, by a worker killed after, is no error). */
export async function moveAside(row: Row, file: string, takeFile: string): Promise<void> {
  const target = join(row.audioTarget.dir, takeFile);
  await mkdir(dirname(target), { recursive: true });
  await rename(join(row.audioTarget.dir, file), target).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

/** Puts an earlier take back as the row's file, atomically (copied to a temporary name, then renamed over it). */
export async function restoreTake(row: Row, take: SavedTake): Promise<string> {
  const file = `${row.audioTarget.name}${extname(take.takeFile)}`;
  const temporary = join(row.audioTarget.dir, `.${file}.restore.tmp`);
  await copyFile(join(row.audioTarget.dir, take.takeFile), temporary);
  await rename(temporary, join(row.audioTarget.dir, file));
  return file;
}

/** Takes no longer needed (a later one passed). */
export async function removeTakes(row: Row, takes: readonly SavedTake[]): Promise<void> {
  await Promise.all(takes.map((take) => rm(join(row.audioTarget.dir, take.takeFile), { force: true })));
}

/** The better of two takes: fewer failed checks; on a tie, the later one. */
export function betterTake<T extends { readonly qaReasons: string }>(takes: readonly T[]): T | undefined {
  const count = (take: T) => (take.qaReasons === '' ? 0 : take.qaReasons.split(',').length);
  return takes.reduce<T | undefined>(
    (best, take) => (best === undefined || count(take) <= count(best) ? take : best),
    undefined,
  );
}
