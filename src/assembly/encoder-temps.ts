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
 * Removes what a killed m4b encode left in the run directory (audio/m4b-encode.ts names its
 * temporaries `.<out>.<pid>-<hex>.tmp` and `.ffmetadata.txt`): its process is gone, or the file
 * is stale.
 */
export async function sweepEncoderTemps(dir: string, m4bName: string): Promise<void> {
  const pattern = new RegExp(
    `^\\.${escapeRegExp(m4bName)}\\.(\\d+)-[0-9a-f]+(?:\\.tmp|\\.ffmetadata\\.txt)$`,
  );
  for (const entry of await readdir(dir)) {
    const pid = Number(pattern.exec(entry)?.[1] ?? Number.NaN);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const path = join(dir, entry);
    const info = await lstat(path).catch(() => undefined);
    // This process encodes one book at a time: a file of its own pid is an earlier attempt's.
    const live =
      pid !== process.pid && isAlive(pid) && info !== undefined && Date.now() - info.mtimeMs < STALE_MS;
    if (!live) await rm(path, { force: true });
  }
}
