import type { EnqueueResult } from './enqueue.js';
import type { ScriptScan } from './scan-script.js';
import { describeSchedule } from './schedule-at.js';

/** `metadata: chapter, title`: the columns carried to the manifest as they are. */
export function metadataLine(scan: Pick<ScriptScan, 'metadataColumns'>): string {
  const columns = scan.metadataColumns;
  return `metadata: ${columns.length === 0 ? 'none (every column is a field)' : `${columns.join(', ')} (carried to the manifest)`}`;
}

/** What `enqueue` prints when it is done. */
export function enqueueSummary(
  run: string,
  outDir: string,
  result: EnqueueResult,
  scan: ScriptScan,
  scheduledAt: number,
  nowMs: number,
): string {
  const counts = [`new ${result.new}`, `unchanged ${result.unchanged}`, `skipped ${result.skipped}`];
  if (result.adopted > 0) counts.push(`adopted ${result.adopted}`);
  if (result.removed > 0) counts.push(`removed ${result.removed}`);
  if (scan.invalidRows > 0) counts.push(`invalid ${scan.invalidRows}`);
  const lines = [`run: ${run}`, `output: ${outDir}`, `rows: ${counts.join(', ')}`, metadataLine(scan)];
  if (scheduledAt > 0) lines.push(`scheduled: ${describeSchedule(scheduledAt, nowMs)}`);
  if (result.rescheduled > 0) {
    const held = scheduledAt > nowMs;
    lines.push(
      `rescheduled: ${result.rescheduled} jobs already queued ${held ? 'now wait until then' : 'start now'}`,
    );
  }
  if (result.manifests) {
    const { completed, failed, missingFiles } = result.manifests;
    lines.push(`finished: wrote manifest.json and manifest.csv (${completed} completed, ${failed} failed)`);
    if (missingFiles.length > 0) lines.push(`  audio files missing: ${missingFiles.length}`);
  }
  return `${lines.join('\n')}\n`;
}
