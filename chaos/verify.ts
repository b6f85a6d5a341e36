import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ManifestEntry } from '../src/output/manifest-entry.js';
import type { Ledger } from '../src/simulator/ledger.js';
import { servedAudio } from '../src/simulator/speech-audio.js';
import { compareCounters, type CounterVerdict, type RunStats } from './counters.js';
import { describeExtraBilling } from './extra-billing.js';
import { failureVerdict } from './failure-reason.js';
import { duplicateLines, readManifestLines } from './manifest-lines.js';
import type { ChaosRow } from './script.js';
import type { Timeline } from './timeline.js';

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

export type ChaosFindings = {
  readonly completed: number;
  readonly failed: number;
  readonly failuresByReason: Readonly<Record<string, number>>;
  /** Billable submissions beyond one per row, by the reason the row recorded. */
  readonly extraSubmitsByReason: Readonly<Record<string, number>>;
  readonly extraSubmits: number;
  /** Rows with more than one line for the same content in manifest.jsonl. */
  readonly duplicateLines: number;
  readonly counters: CounterVerdict;
  /** Submit journals (`.<id>.submits.jsonl`) left for completed rows (removed once their line is written). */
  readonly journalsLeft: number;
  /** Every row billed more than once, with times and the fault just before (diagnostic). */
  readonly extraBilling: readonly string[];
  /** Everything that counts as a loss: any entry here fails the run. */
  readonly problems: readonly string[];
  /** Extra billable submissions (expiries aside) over 0.5% of rows. */
  readonly overBudget: boolean;
};

export type ChaosEvidence = {
  /** The run's output directory. */
  readonly outDir: string;
  readonly rows: readonly ChaosRow[];
  /** manifest.json. */
  readonly entries: readonly ManifestEntry[];
  readonly ledger: Ledger;
  /** The run's counters and how many outcomes Redis holds for the run. */
  readonly stats: RunStats;
  readonly outcomesInRedis: number;
  /**
   * Redis was restarted empty: a row whose failure it forgot is run again when the script is
   * enqueued again (a new attempt, its submits counted), so a failed line may be followed by
   * another line of the same row. A second line after a completed one is still a problem.
   */
  readonly redisForgot?: boolean;
  readonly timeline: Timeline;
};

/**
 * Checks a finished chaos run, row by row, against the script, the files, manifest.jsonl, the
 * run's counters and the simulator's ledger: every row ends as its audio (the bytes the simulator
 * served) or a failure with the simulator's reason; the API never billed a row's text more times
 * than its entry records; every billing beyond the first has a recorded reason; each outcome has
 * one line; the counters equal the manifest's sums (see compareCounters for when they are compared).
 */
export async function verifyChaosRun(evidence: ChaosEvidence): Promise<ChaosFindings> {
  const { outDir, rows, entries, ledger } = evidence;
  const problems: string[] = [];
  const failuresByReason: Record<string, number> = {};
  const extraSubmitsByReason: Record<string, number> = {};
  let completed = 0;
  let extraSubmits = 0;
  const billed = new Map<string, number>();
  for (const submit of ledger.submits)
    billed.set(submit.text_sha256, (billed.get(submit.text_sha256) ?? 0) + 1);

  if (entries.length !== rows.length)
    problems.push(`manifest has ${entries.length} entries for ${rows.length} rows`);
  const ids = new Set(entries.map((entry) => entry.id));
  if (ids.size !== entries.length) problems.push('a row appears more than once in the manifest');
  for (const [index, row] of rows.entries()) {
    const entry = entries[index];
    if (!entry || entry.id !== row.id) {
      problems.push(`row ${row.id} missing or out of order in the manifest`);
      continue;
    }
    if (entry.status === 'completed') {
      completed += 1;
      const expected = sha256(servedAudio(row.text, 'wav'));
      const saved = await readFile(join(outDir, entry.file ?? '')).catch(() => undefined);
      if (!saved) problems.push(`row ${row.id}: audio file missing`);
      else if (sha256(saved) !== expected || entry.audio_sha256 !== expected) {
        problems.push(`row ${row.id}: audio differs from what the simulator served`);
      }
    } else {
      const { reason, stated } = failureVerdict(entry);
      failuresByReason[reason] = (failuresByReason[reason] ?? 0) + 1;
      if (!stated)
        problems.push(`row ${row.id}: failed without a reason its history explains: ${entry.error ?? ''}`);
    }
    const times = billed.get(sha256(row.text)) ?? 0;
    if (times > entry.submits)
      problems.push(`row ${row.id}: billed ${times} times but counted ${entry.submits}`);
    if (times > 1) {
      const unexplained = Math.max(0, times - 1 - entry.resubmit_reasons.length);
      if (unexplained > 0)
        problems.push(`row ${row.id}: billed ${times} times, ${unexplained} without a recorded reason`);
      const reasons = [...entry.resubmit_reasons, ...Array<string>(unexplained).fill('unexplained')];
      for (const reason of reasons.slice(0, times - 1)) {
        extraSubmitsByReason[reason] = (extraSubmitsByReason[reason] ?? 0) + 1;
      }
      // Expiries are paid for by design (the result was gone); the budget is for everything else.
      extraSubmits += Math.max(0, times - 1 - entry.resubmit_reasons.filter((r) => r === 'expired').length);
    }
  }

  const manifestLines = await readManifestLines(outDir);
  const duplicates = duplicateLines(manifestLines.lines, evidence.redisForgot === true);
  for (const duplicate of duplicates) problems.push(`manifest.jsonl records row ${duplicate}`);
  if (manifestLines.unreadable > 0)
    problems.push(`manifest.jsonl has ${manifestLines.unreadable} unreadable lines`);

  const counters = compareCounters(evidence.stats, entries, rows.length, evidence.outcomesInRedis);
  if (counters.compared) problems.push(...counters.problems);

  const files = await readdir(outDir);
  const leftovers = files.filter((file) => file.endsWith('.tmp'));
  if (leftovers.length > 0) problems.push(`temporary files left: ${leftovers.slice(0, 5).join(', ')}`);
  const completedIds = new Set(entries.filter((e) => e.status === 'completed').map((e) => e.id));
  const journalsLeft = files.filter((file) => {
    const id = /^\.(.+)\.submits\.jsonl$/.exec(file)?.[1];
    return id !== undefined && completedIds.has(id);
  }).length;
  // A completed row's journal is done with: one left is clutter (a hidden file of a few lines;
  // the row's line carries its submits), reported as a figure, not a loss.

  return {
    completed,
    failed: entries.length - completed,
    failuresByReason,
    extraSubmitsByReason,
    extraSubmits,
    duplicateLines: duplicates.length,
    counters,
    journalsLeft,
    extraBilling: describeExtraBilling(
      rows,
      new Map(entries.map((entry) => [entry.id, entry])),
      ledger,
      evidence.timeline,
    ),
    problems,
    overBudget: extraSubmits > rows.length * 0.005,
  };
}
