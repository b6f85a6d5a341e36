import { constants } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { makeDir, pathInRun, sweepStaleTemps, uniqueTempName } from '../output/run-files.js';
import { HOUR } from '../time.js';

/** A file written piece by piece under a temporary name, then renamed into place whole. */
export type StreamedFile = {
  write(text: string): Promise<void>;
  /** fsync, then rename over the final name: readers see the old file or the whole new one. */
  commit(): Promise<string>;
  /** Drops the temporary file. */
  abort(): Promise<void>;
};

const FLUSH_CHARS = 1 << 20;
/**
 * Another writer's temporary untouched this long is a crashed writer's. Longer than
 * run-files.ts's default: a streamed write of a large run may pause between pieces on a slow disk.
 */
const ABANDONED_MS = HOUR;

/**
 * Opens `runDir/fileName` for a streamed atomic write (the final manifests: too large for one
 * string at a million rows). Writes are batched to about a megabyte. The temporary is named as
 * run-files.ts names a shared writer's, so a crashed writer's leftover is swept by the next writer.
 */
export async function openStreamedFile(runDir: string, fileName: string): Promise<StreamedFile> {
  const target = pathInRun(runDir, fileName);
  const dir = resolve(runDir);
  await makeDir(dir);
  await sweepStaleTemps(dir, [fileName], ABANDONED_MS);
  const temporary = join(dir, uniqueTempName(fileName));
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const handle = await open(temporary, flags, 0o644);
  let pending: string[] = [];
  let pendingChars = 0;
  let closed = false;
  const flush = async () => {
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    pendingChars = 0;
    await handle.write(text);
  };
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  return {
    async write(text) {
      pending.push(text);
      pendingChars += text.length;
      if (pendingChars >= FLUSH_CHARS) await flush();
    },
    async commit() {
      try {
        await flush();
        await handle.sync();
        await close();
        await rename(temporary, target);
      } catch (error) {
        await close().catch(() => {});
        await rm(temporary, { force: true });
        throw error;
      }
      return target;
    },
    async abort() {
      await close().catch(() => {});
      await rm(temporary, { force: true });
    },
  };
}
