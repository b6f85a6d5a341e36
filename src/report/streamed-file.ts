import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { pathInRun } from '../output/run-files.js';
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
const HOST = hostname().replace(/[^A-Za-z0-9-]/g, '-');
/** A temporary file untouched this long is a crashed writer's on another host. */
const ABANDONED_MS = HOUR;

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Leftovers of crashed writers of `fileName`: this host's dead processes', and anyone's long untouched. */
async function sweepLeftovers(dir: string, fileName: string): Promise<void> {
  const prefix = `.${fileName}.`;
  for (const entry of await readdir(dir)) {
    if (!entry.startsWith(prefix) || !entry.endsWith('.tmp')) continue;
    const [host, pid] = entry.slice(prefix.length).split('.');
    const path = join(dir, entry);
    const deadHere = host === HOST && !isAlive(Number(pid));
    const info = deadHere ? undefined : await lstat(path).catch(() => undefined);
    if (deadHere || (info && Date.now() - info.mtimeMs > ABANDONED_MS)) await rm(path, { force: true });
  }
}

/**
 * Opens `runDir/fileName` for a streamed atomic write (the final manifests: too large for one
 * string at a million rows). Writes are batched to about a megabyte. The temporary name carries
 * host and pid (`.<file>.<host>.<pid>.<random>.tmp`, as run-files.ts's sweep expects), so a crashed
 * writer's leftover is removed by the next writer of the same file.
 */
export async function openStreamedFile(runDir: string, fileName: string): Promise<StreamedFile> {
  const target = pathInRun(runDir, fileName);
  const dir = resolve(runDir);
  await mkdir(dir, { recursive: true });
  await sweepLeftovers(dir, fileName);
  const temporary = join(dir, `.${fileName}.${HOST}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
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
