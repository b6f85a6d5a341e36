import { open, stat } from 'node:fs/promises';
import { pathInRun } from './run-files.js';

/** How far past its mark a row's line is looked for: other workers append meanwhile. */
const SEARCH_BYTES = 1024 * 1024;

/** The size of `runDir/fileName`, 0 when it does not exist yet. */
export async function fileSize(runDir: string, fileName: string): Promise<number> {
  return stat(pathInRun(runDir, fileName)).then(
    (found) => found.size,
    () => 0,
  );
}

/**
 * Whether a line that `matches` was appended to `runDir/fileName` at or after byte `at` (within
 * the next MiB): how a worker tells that a line whose append it cannot confirm (its writer was
 * killed, or Redis lost the note that it was written) is already there.
 */
export async function lineAfter(
  runDir: string,
  fileName: string,
  at: number,
  matches: (line: string) => boolean,
): Promise<boolean> {
  const handle = await open(pathInRun(runDir, fileName), 'r').catch(() => undefined);
  if (!handle) return false;
  try {
    const buffer = Buffer.alloc(SEARCH_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SEARCH_BYTES, at);
    const text = buffer.subarray(0, bytesRead).toString('utf8');
    // Appends are whole lines (one O_APPEND write each): the mark is at a line start.
    return text.split('\n').some(matches);
  } finally {
    await handle.close();
  }
}
