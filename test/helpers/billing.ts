import assert from 'node:assert/strict';
import type { Ledger } from '../../src/simulator/ledger.js';

type Entry = Readonly<Record<string, unknown>>;

/**
 * The promise, checked: for every text, the simulator billed at most as many submissions as the
 * manifest entries of the rows with that text record in `submits`. Returns the surplus of
 * recorded over billed submissions (ambiguous submissions that the API never received).
 */
export function assertBilledAtMostRecorded(
  ledger: Ledger,
  entries: readonly Entry[],
  /** `current`: only the texts the rows have now (texts edited away were billed for older versions). */
  scope: 'all' | 'current' = 'all',
): number {
  // A row sent in parts was billed by its parts' texts: each part's entry records its submits.
  const units = entries.flatMap((entry) =>
    Array.isArray(entry['parts'])
      ? (entry['parts'] as Entry[]).map((part) => ({ ...part, id: entry['id'] }))
      : [entry],
  );
  const recorded = new Map<string, number>();
  for (const entry of units) {
    const text = String(entry['text_sha256']);
    recorded.set(text, (recorded.get(text) ?? 0) + Number(entry['submits']));
  }
  const billed = new Map<string, number>();
  for (const submit of ledger.submits)
    billed.set(submit.text_sha256, (billed.get(submit.text_sha256) ?? 0) + 1);
  let surplus = 0;
  for (const [text, count] of billed) {
    if (scope === 'current' && !recorded.has(text)) continue;
    const ids = units.filter((entry) => entry['text_sha256'] === text).map((entry) => String(entry['id']));
    assert.ok(
      count <= (recorded.get(text) ?? 0),
      `text ${text.slice(0, 12)} (rows ${ids.join(', ') || 'none in the manifest'}) billed ${count} times, recorded ${recorded.get(text) ?? 0}`,
    );
  }
  for (const [text, count] of recorded) surplus += count - (billed.get(text) ?? 0);
  return surplus;
}

/** The lines of manifest.jsonl, parsed, with no (id, content) recorded twice. */
export function assertNoDuplicateLines(lines: readonly Entry[]): void {
  const seen = new Set<string>();
  for (const line of lines) {
    const key = `${String(line['id'])}/${String(line['content_hash'])}`;
    assert.ok(!seen.has(key), `manifest.jsonl has row ${String(line['id'])} twice`);
    seen.add(key);
  }
}
