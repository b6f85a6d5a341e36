import type { RowProgress } from '../../queue/row-progress.js';
import type { Row } from './row-context.js';

/**
 * Saves a change of the row's progress (never its billing fields: those change only through the
 * store's submit operations), and adds the calls made since the last save to the run's counter.
 */
export async function saveProgress(row: Row, change: Partial<RowProgress>): Promise<RowProgress> {
  const calls = row.unsavedCalls;
  row.unsavedCalls = 0;
  const [progress] = await Promise.all([
    row.store.save(row.data.id, { ...row.progress, ...change, calls: row.progress.calls + calls }),
    row.countCalls(calls),
  ]);
  row.progress = progress;
  return progress;
}
