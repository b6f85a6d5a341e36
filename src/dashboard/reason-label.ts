/** Longest failure reason kept in a metric label; longer ones are cut with `…`. */
const MAX_REASON_CHARS = 160;

/**
 * A failure reason as a Prometheus label value: one line, bounded. Reasons come from a fixed set
 * of API answers and worker decisions, so the label's values stay few.
 */
export function reasonLabel(reason: string): string {
  const line = reason.replace(/\s+/g, ' ').trim();
  return line.length > MAX_REASON_CHARS ? `${line.slice(0, MAX_REASON_CHARS - 1)}…` : line;
}
