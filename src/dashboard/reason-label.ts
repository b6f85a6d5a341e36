/** Longest failure reason kept in a label; longer ones are cut with `…`. */
const MAX_REASON_CHARS = 160;

/**
 * A failure reason as the dashboard groups it: one line, bounded, without what differs from row
 * to row (request ids, seconds waited), so that rows failed for one cause read as one group and a
 * Prometheus label keeps few values.
 */
export function reasonLabel(reason: string): string {
  const line = reason
    .replace(/\s+/g, ' ')
    .replace(/\(request [^)]*\)/g, '(request …)')
    .replace(/\b\d+ s after\b/g, '… s after')
    .trim();
  return line.length > MAX_REASON_CHARS ? `${line.slice(0, MAX_REASON_CHARS - 1)}…` : line;
}

export type ReasonCount = { readonly reason: string; readonly rows: number };

/** Failures grouped again by `reasonLabel`, most frequent first. */
export function groupByReasonLabel(failures: readonly ReasonCount[]): ReasonCount[] {
  const rows = new Map<string, number>();
  for (const failure of failures) {
    const label = reasonLabel(failure.reason);
    rows.set(label, (rows.get(label) ?? 0) + failure.rows);
  }
  return [...rows]
    .map(([reason, n]) => ({ reason, rows: n }))
    .sort((a, b) => b.rows - a.rows || a.reason.localeCompare(b.reason));
}
