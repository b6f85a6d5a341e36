import { createHash } from 'node:crypto';
import type { ManifestEntry } from '../src/output/manifest-entry.js';
import type { Ledger } from '../src/simulator/ledger.js';
import type { ChaosRow } from './script.js';
import type { Timeline } from './timeline.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A fault this close to a billing is named beside it. */
const NEAR_MS = 2000;

/**
 * For a diagnostic reading of the report: every row billed more than once, with the time of each
 * billing and the fault injected closest to it (an orphaned POST is billed just before the
 * SIGKILL that orphans it; its resubmission comes later), and what its manifest entry recorded.
 * One line per row.
 */
export function describeExtraBilling(
  rows: readonly ChaosRow[],
  entries: ReadonlyMap<string, ManifestEntry>,
  ledger: Ledger,
  timeline: Timeline,
): string[] {
  const times = new Map<string, number[]>();
  for (const submit of ledger.submits) {
    times.set(submit.text_sha256, [...(times.get(submit.text_sha256) ?? []), Date.parse(submit.at)]);
  }
  const lines: string[] = [];
  for (const row of rows) {
    const billed = times.get(sha256(row.text)) ?? [];
    if (billed.length <= 1) continue;
    const entry = entries.get(row.id);
    const when = billed.map((ms) => {
      const fault = timeline.faultNear(ms, NEAR_MS);
      return `${timeline.at(ms)}${fault === undefined ? '' : ` (${fault})`}`;
    });
    lines.push(
      `${row.id}: billed ${billed.length}x at ${when.join(', ')}; recorded submits ` +
        `${entry?.submits ?? '?'}, reasons [${entry?.resubmit_reasons.join(', ') ?? ''}], ${entry?.status ?? 'no entry'}`,
    );
  }
  return lines;
}
