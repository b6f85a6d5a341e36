import { setTimeout as delay } from 'node:timers/promises';
import { fileSize, lineAfter } from '../../output/line-after.js';
import { appendLine } from '../../output/run-files.js';
import { markLined } from '../../queue/run-outcomes.js';
import { decodeManifestLine } from '../../report/manifest-line.js';
import { MANIFEST_LINES_FILE } from '../../report/run-manifests.js';
import { HandBack } from '../row-signals.js';
import type { Row, RowContext } from './row-context.js';

/** How often a refused manifest line (or a failed note of it in Redis) is tried again. */
const LINE_RETRY_MS = 2_000;

/**
 * Appends the recorded outcome's line, trying again every few seconds while the disk refuses
 * (full, read-only): the row keeps its worker slot meanwhile, so a worker whose disk is broken
 * stops taking (and paying for) new rows. A stopping worker hands the row back.
 */
export async function appendLineOrHandBack(
  row: Row,
  context: RowContext,
  line: { text: string; outcome: string },
): Promise<boolean> {
  const { id, contentHash } = row.data;
  await untilDone(
    row,
    {
      log: (err) =>
        row.logger.error(
          { event: 'manifest_line_failed', err },
          'could not append to manifest.jsonl: the outcome is kept; trying again until the disk takes it',
        ),
      handBack: 'manifest line not written',
    },
    async () => {
      // Where the line will land, noted first: whoever records this row again finds it there.
      const at = await fileSize(row.outDir, MANIFEST_LINES_FILE);
      await row.journal.append(id, { t: 'line', h: contentHash, at, o: line.outcome });
      await appendLine(row.outDir, MANIFEST_LINES_FILE, line.text);
    },
  );
  const finished = await markLinedOrHandBack(row, context);
  if (row.progress.saved) await row.journal.remove(id);
  return finished;
}

/**
 * Notes in Redis that the row's line is written, trying again while Redis is away (restarting,
 * frozen): the line is on disk, and a row handed back now would be recorded again later. A
 * stopping worker hands it back: the next one finds the line through the journal.
 */
export async function markLinedOrHandBack(row: Row, context: RowContext): Promise<boolean> {
  const { run, id, contentHash } = row.data;
  const { finished } = await untilDone(
    row,
    {
      log: (err) =>
        row.logger.warn(
          { event: 'mark_lined_failed', err },
          'manifest line written; noting it in Redis failed: trying again',
        ),
      handBack: 'manifest line written; not yet noted in Redis',
    },
    () => markLined(context.redis, context.prefix, run, id, contentHash),
  );
  return finished;
}

/**
 * Runs `attempt` until it succeeds, every few seconds, saying its first failure; a stopping
 * worker (the row's signal aborted) hands the row back instead.
 */
async function untilDone<T>(
  row: Row,
  failure: { readonly log: (err: string) => void; readonly handBack: string },
  attempt: () => Promise<T>,
): Promise<T> {
  for (let failures = 0; ; failures += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (failures === 0) failure.log((error as Error).message);
      await delay(LINE_RETRY_MS, undefined, { signal: row.signal }).catch(() => {
        throw new HandBack(failure.handBack, 0);
      });
    }
  }
}

/**
 * Whether this outcome's line is in manifest.jsonl already. A completed row's journal is removed
 * only after its line is written and noted, so a completed row without a journal has its line;
 * otherwise the journal's last `line` mark for this very outcome says where to look.
 */
export async function lineWritten(
  row: Row,
  status: 'completed' | 'failed',
  outcome: string,
): Promise<boolean> {
  const { id, contentHash } = row.data;
  const journal = await row.journal.lastLine(id, contentHash);
  if (journal === undefined) return status === 'completed';
  const mark = journal.mark;
  if (!mark || mark.o !== outcome) return false;
  return lineAfter(row.outDir, MANIFEST_LINES_FILE, mark.at, (text) => {
    const entry = decodeManifestLine(text);
    return entry?.id === id && entry.content_hash === contentHash && entry.status === status;
  });
}
