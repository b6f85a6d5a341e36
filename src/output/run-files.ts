import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { appendFile, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';

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
 * Writes `bytes` to `runDir/fileName` atomically: a temporary name in the same directory,
 * fsync, then rename. A file that exists under its final name is complete.
 */
export async function writeFileAtomic(
  runDir: string,
  fileName: string,
  bytes: Uint8Array | string,
): Promise<string> {
  const target = pathInRun(runDir, fileName);
  await mkdir(resolve(runDir), { recursive: true });
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
  await mkdir(resolve(runDir), { recursive: true });
  await appendFile(pathInRun(runDir, fileName), `${line}\n`, { flag: APPEND_FLAGS });
}
