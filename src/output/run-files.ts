import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { appendFile, mkdir, open, rename, rm } from 'node:fs/promises';
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
async function makeDir(dir: string): Promise<void> {
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

/**
 * Writes `bytes` to `runDir/fileName` atomically: a temporary name in the same directory,
 * fsync, then rename. A file that exists under its final name is complete.
 */
export async function writeFileAtomic(
  runDir: string,
  fileName: string,
  bytes: Uint8Array | string,
): Promise<string> {
  const target = pathInRun(runDir, fileName);
  await makeDir(resolve(runDir));
  const temporary = join(resolve(runDir), `.${fileName}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'wx');
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

/** O_APPEND, and O_NOFOLLOW: a symlink planted in the run directory is refused, not written through. */
const APPEND_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW;

/** Appends one line to `runDir/fileName` with a single write (O_APPEND), creating it if needed. */
export async function appendLine(runDir: string, fileName: string, line: string): Promise<void> {
  await makeDir(resolve(runDir));
  await appendFile(pathInRun(runDir, fileName), `${line}\n`, { flag: APPEND_FLAGS });
}
