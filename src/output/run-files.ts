import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { appendFile, lstat, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve, sep } from 'node:path';

/** A path inside `runDir` for `fileName`, refusing anything that would land outside it. */
export function pathInRun(runDir: string, fileName: string): string {
  const root = resolve(runDir);
  const target = resolve(root, fileName);
  if (basename(fileName) !== fileName || !target.startsWith(root + sep)) {
    throw new Error(`Refusing to write \`${fileName}\` outside the run directory`);
  }
  return target;
}

/**
 * `mkdir -p`, with the real cause when it fails: Node's recursive mkdir reports a parent it could
 * not create (read-only filesystem, no permission, full disk) as ENOENT; one level at a time names it.
 */
export async function makeDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const parent = dirname(dir);
    if (parent !== dir) await makeDir(parent);
    await mkdir(dir).catch((inner: NodeJS.ErrnoException) => {
      if (inner.code !== 'EEXIST') throw inner;
    });
  }
}

/** Temporary files of a crashed writer older than this are swept by the next writer of the same file. */
export const STALE_TEMP_MS = 30_000;

export type WriteOptions = {
  /**
   * `sole`: only one writer of this file runs at a time (a row's audio, guarded by the row's job
   * lock), so the temporary name is fixed and a crashed attempt's leftover is overwritten by the
   * next. `shared` (default): writers may overlap (the final manifests), so each has its own
   * temporary name, and leftovers of crashed writers are swept once stale.
   */
  readonly writer?: 'sole' | 'shared';
};

/**
 * Writes `bytes` to `runDir/fileName` atomically: a temporary name in the same directory,
 * fsync, then rename. A file that exists under its final name is complete, and no temporary
 * file outlives the next successful write of the same file.
 */
export async function writeFileAtomic(
  runDir: string,
  fileName: string,
  bytes: Uint8Array | string,
  options: WriteOptions = {},
): Promise<string> {
  const target = pathInRun(runDir, fileName);
  const dir = resolve(runDir);
  await makeDir(dir);
  const sole = options.writer === 'sole';
  if (!sole) await sweepStaleTemps(dir, [fileName]);
  const temporary = join(dir, sole ? `.${fileName}.tmp` : uniqueTempName(fileName));
  // Never through a link planted under the temporary name; a sole writer may truncate its own leftover.
  const flags =
    constants.O_WRONLY |
    constants.O_CREAT |
    constants.O_NOFOLLOW |
    (sole ? constants.O_TRUNC : constants.O_EXCL);
  try {
    const handle = await open(temporary, flags, 0o644);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return target;
}

const HOST = hostname().replace(/[^A-Za-z0-9-]/g, '-');

/**
 * A temporary name for `fileName` that no other writer uses, `.{fileName}.{host}.{pid}.{random}.tmp`:
 * writers of the same file may overlap, and a sweep can tell a dead writer's leftover from a live one's.
 */
export function uniqueTempName(fileName: string): string {
  return `.${fileName}.${HOST}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Removes the temporaries of `fileNames` (named by `uniqueTempName`; `'any'`: of every file in
 * `dir`) left by writers on this host whose process is gone, and anyone's not modified for `staleMs`.
 */
export async function sweepStaleTemps(
  dir: string,
  fileNames: readonly string[] | 'any',
  staleMs: number = STALE_TEMP_MS,
): Promise<void> {
  const patterns = (fileNames === 'any' ? [undefined] : fileNames).map((fileName) => {
    const name = fileName === undefined ? '.+' : escapeRegExp(fileName);
    return {
      writer: new RegExp(`^\\.${name}\\.([A-Za-z0-9-]+)\\.(\\d+)\\.[A-Za-z0-9]+\\.tmp$`),
      legacy: new RegExp(`^\\.${name}\\.[0-9a-f]{12}\\.tmp$`),
    };
  });
  for (const entry of await readdir(dir)) {
    const pattern = patterns.find(({ writer, legacy }) => writer.test(entry) || legacy.test(entry));
    if (pattern === undefined) continue;
    const [, host, pid] = pattern.writer.exec(entry) ?? [];
    const path = join(dir, entry);
    const deadHere = host === HOST && !isAlive(Number(pid));
    const info = deadHere ? undefined : await lstat(path).catch(() => undefined);
    if (deadHere || (info && Date.now() - info.mtimeMs > staleMs)) await rm(path, { force: true });
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** O_APPEND, and O_NOFOLLOW: a symlink planted in the run directory is refused, not written through. */
const APPEND_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW;

/** Appends one line to `runDir/fileName` with a single write (O_APPEND), creating it if needed. */
export async function appendLine(runDir: string, fileName: string, line: string): Promise<void> {
  await makeDir(resolve(runDir));
  await appendFile(pathInRun(runDir, fileName), `${line}\n`, { flag: APPEND_FLAGS });
}

/**
 * Appends one line to `runDir/fileName` only if the file exists (false when it does not): for a
 * record that must not be started again by a late writer once its owner removed it.
 */
export async function appendToExisting(runDir: string, fileName: string, line: string): Promise<boolean> {
  try {
    await appendFile(pathInRun(runDir, fileName), `${line}\n`, { flag: APPEND_FLAGS & ~constants.O_CREAT });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
