import { constants } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { makeDir, sweepStaleTemps, uniqueTempName } from '../output/run-files.js';

/**
 * A file written as it is fed, never held whole: a temporary file of its own in the target's
 * directory, then fsync, rename and an fsync of the directory. Until `finish` the target is
 * untouched; call `discard` if `finish` is not reached.
 */
export type AtomicFile = {
  /** Appends `bytes`. */
  append(bytes: Uint8Array): Promise<void>;
  /** Overwrites bytes already written (a header patched with final sizes). */
  writeAt(bytes: Uint8Array, position: number): Promise<void>;
  /** Bytes appended so far. */
  readonly size: number;
  /** Lands the file under its name; returns its absolute path. */
  finish(): Promise<string>;
  /** Removes the temporary file. Never throws. */
  discard(): Promise<void>;
};

const DIRECTORY_SYNC_UNSUPPORTED: ReadonlySet<string> = new Set(['EISDIR', 'EINVAL', 'EPERM', 'EBADF']);

async function writeAll(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < bytes.byteLength;) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done, position + done);
    done += bytesWritten;
  }
}

/** So that the rename itself survives a crash (where the platform lets a directory be synced). */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (handle === undefined) return;
  try {
    await handle.sync();
  } catch (error) {
    if (!DIRECTORY_SYNC_UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    await handle.close();
  }
}

/** Opens a temporary file for `out` (sweeping crashed writers' leftovers of the same name first). */
export async function createAtomicFile(out: string): Promise<AtomicFile> {
  const target = resolve(out);
  const dir = dirname(target);
  const name = basename(target);
  await makeDir(dir);
  await sweepStaleTemps(dir, [name]);
  const temporary = join(dir, uniqueTempName(name));
  // Never through a link planted under the temporary name.
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const handle = await open(temporary, flags, 0o644);
  let closed = false;
  let size = 0;
  const discard = async (): Promise<void> => {
    if (!closed) await handle.close().catch(() => undefined);
    closed = true;
    await rm(temporary, { force: true }).catch(() => undefined);
  };
  return {
    async append(bytes) {
      await writeAll(handle, bytes, size);
      size += bytes.byteLength;
    },
    async writeAt(bytes, position) {
      if (position + bytes.byteLength > size) {
        throw new RangeError(
          `Expected a write inside the ${size} bytes written, got ${position}+${bytes.byteLength}`,
        );
      }
      await writeAll(handle, bytes, position);
    },
    get size() {
      return size;
    },
    async finish() {
      try {
        await handle.sync();
        await handle.close();
        closed = true;
        await rename(temporary, target);
      } catch (error) {
        await discard();
        throw error;
      }
      await syncDirectory(dir);
      return target;
    },
    discard,
  };
}
