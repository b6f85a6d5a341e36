import { reasonLabel } from '../dashboard/reason-label.js';
import type { ManifestEntry } from '../output/manifest-entry.js';

/** Rows named under each failure reason; the rest are counted. */
export const ROWS_SHOWN_PER_REASON = 200;

/** What the morning report shows, gathered one manifest entry at a time (bounded but for the finish times). */
export type ReportSummary = {
  readonly rows: number;
  readonly completed: number;
  readonly failed: number;
  readonly costUsd: number;
  readonly audioSeconds: number;
  readonly calls: number;
  readonly submits: number;
  /** Most rows first. */
  readonly failures: readonly {
    readonly reason: string;
    readonly count: number;
    readonly rows: readonly string[];
  }[];
  /** By model, most spent first. */
  readonly models: readonly {
    readonly model: string;
    readonly rows: number;
    readonly costUsd: number;
    readonly audioSeconds: number;
  }[];
  /** Completed rows whose clips no take made pass their checks (`qa.status: needs_review`), with why. */
  readonly review: {
    readonly count: number;
    readonly rows: readonly { readonly id: string; readonly reasons: string }[];
  };
  /** Rows by how many API calls they took, fewest calls first. */
  readonly callsPerRow: readonly { readonly calls: number; readonly rows: number }[];
  /** ms since the epoch of each row's outcome (`finished_at`), completed and failed apart. */
  readonly finishedAtMs: { readonly completed: readonly number[]; readonly failed: readonly number[] };
};

export type ReportSummaryBuilder = {
  add(entry: ManifestEntry): void;
  result(): ReportSummary;
};

export function makeReportSummary(): ReportSummaryBuilder {
  let rows = 0;
  let completed = 0;
  let costUsd = 0;
  let audioSeconds = 0;
  let calls = 0;
  let submits = 0;
  const failures = new Map<string, { count: number; rows: string[] }>();
  const models = new Map<string, { rows: number; costUsd: number; audioSeconds: number }>();
  const callCounts = new Map<number, number>();
  const finishedAtMs = { completed: [] as number[], failed: [] as number[] };
  const review = { count: 0, rows: [] as { id: string; reasons: string }[] };

  return {
    add(entry) {
      rows += 1;
      const cost = entry.cost ?? 0;
      const audio = entry.duration_s ?? 0;
      costUsd += cost;
      audioSeconds += audio;
      calls += entry.calls;
      submits += entry.submits;
      callCounts.set(entry.calls, (callCounts.get(entry.calls) ?? 0) + 1);
      const model = models.get(entry.model) ?? { rows: 0, costUsd: 0, audioSeconds: 0 };
      models.set(entry.model, {
        rows: model.rows + 1,
        costUsd: model.costUsd + cost,
        audioSeconds: model.audioSeconds + audio,
      });
      const at = Date.parse(entry.finished_at);
      if (entry.status === 'completed') {
        completed += 1;
        if (entry.qa?.status === 'needs_review') {
          review.count += 1;
          if (review.rows.length < ROWS_SHOWN_PER_REASON)
            review.rows.push({ id: entry.id, reasons: entry.qa.reasons.join(', ') });
        }
        if (Number.isFinite(at)) finishedAtMs.completed.push(at);
        return;
      }
      if (Number.isFinite(at)) finishedAtMs.failed.push(at);
      const reason = reasonLabel(entry.error ?? 'no reason recorded');
      const group = failures.get(reason) ?? { count: 0, rows: [] };
      group.count += 1;
      if (group.rows.length < ROWS_SHOWN_PER_REASON) group.rows.push(entry.id);
      failures.set(reason, group);
    },
    result() {
      return {
        rows,
        completed,
        failed: rows - completed,
        costUsd,
        audioSeconds,
        calls,
        submits,
        failures: [...failures]
          .map(([reason, group]) => ({ reason, ...group }))
          .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
        models: [...models]
          .map(([model, figures]) => ({ model, ...figures }))
          .sort((a, b) => b.costUsd - a.costUsd || a.model.localeCompare(b.model)),
        callsPerRow: [...callCounts]
          .map(([n, count]) => ({ calls: n, rows: count }))
          .sort((a, b) => a.calls - b.calls),
        finishedAtMs,
        review,
      };
    },
  };
}
