import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** A temporary file untouched this long is a dead writer's, whatever its pid says (another host). */
const STALE_MS = 10 * 60_000;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes what killed book jobs left in the run directory: an encoded `.<run>.m4b.<version>.part`
 * not yet renamed (of `version`, which this job makes again, or stale), and audio/m4b-encode.ts's
 * temporaries of it (`.<out>.<pid>-<hex>.tmp`, `.ffmetadata.txt`) whose process is gone or stale.
 */
export async function sweepEncoderTemps(dir: string, run: string, version: string): Promise<void> {
  const m4b = escapeRegExp(`${run}.m4b`);
  const part = new RegExp(`^\\.${m4b}\\.([0-9a-f]+)\\.part$`);
  const temp = new RegExp(
    `^\\.\\.?${m4b}(?:\\.[0-9a-f]+\\.part)?\\.(\\d+)-[0-9a-f]+(?:\\.tmp|\\.ffmetadata\\.txt)$`,
  );
  for (const entry of await readdir(dir)) {
    const path = join(dir, entry);
    const partOf = part.exec(entry)?.[1];
    const pid = Number(temp.exec(entry)?.[1] ?? Number.NaN);
    if (partOf === undefined && !(Number.isInteger(pid) && pid > 0)) continue;
    const info = await lstat(path).catch(() => undefined);
    const fresh = info !== undefined && Date.now() - info.mtimeMs < STALE_MS;
    // This process makes one book at a time: a file of its own pid is an earlier attempt's.
    const live =
      partOf === undefined ? pid !== process.pid && isAlive(pid) && fresh : partOf !== version && fresh;
    if (!live) await rm(path, { force: true });
  }
}
