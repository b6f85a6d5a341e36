import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ManifestEntry } from '../src/output/manifest-entry.js';
import { FAILURE_REASONS } from '../src/simulator/faults.js';
import type { Ledger } from '../src/simulator/ledger.js';
import { servedAudio } from '../src/simulator/speech-audio.js';
import type { ChaosRow } from './script.js';

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

export type ChaosFindings = {
  readonly completed: number;
  readonly failed: number;
  readonly failuresByReason: Readonly<Record<string, number>>;
  /** Billable submissions beyond one per row, by the reason the row recorded. */
  readonly extraSubmitsByReason: Readonly<Record<string, number>>;
  readonly extraSubmits: number;
  /** Everything that counts as a loss: any entry here fails the run. */
  readonly problems: readonly string[];
  /** Extra billable submissions (expiries aside) over 0.5% of rows. */
  readonly overBudget: boolean;
};

/** Checks a finished chaos run against the script, the files and the simulator's ledger. */
export async function verifyChaosRun(
  outDir: string,
  rows: readonly ChaosRow[],
  entries: readonly ManifestEntry[],
  ledger: Ledger,
): Promise<ChaosFindings> {
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
      const reason =
        FAILURE_REASONS.find((known) => entry.error?.includes(known)) ?? `other: ${entry.error ?? ''}`;
      failuresByReason[reason] = (failuresByReason[reason] ?? 0) + 1;
      if (reason.startsWith('other:'))
        problems.push(`row ${row.id}: failed without the simulator's reason: ${entry.error ?? ''}`);
    }
    const times = billed.get(sha256(row.text)) ?? 0;
    if (times > entry.submits)
      problems.push(`row ${row.id}: billed ${times} times but counted ${entry.submits}`);
    if (times > 1) {
      const unexplained = Math.max(0, times - 1 - entry.resubmit_reasons.length);
      const reasons = [...entry.resubmit_reasons, ...Array<string>(unexplained).fill('unexplained')];
      for (const reason of reasons.slice(0, times - 1)) {
        extraSubmitsByReason[reason] = (extraSubmitsByReason[reason] ?? 0) + 1;
      }
      // Expiries are paid for by design (the result was gone); the budget is for everything else.
      extraSubmits += Math.max(0, times - 1 - entry.resubmit_reasons.filter((r) => r === 'expired').length);
    }
  }
  const leftovers = (await readdir(outDir)).filter((file) => file.endsWith('.tmp'));
  if (leftovers.length > 0) problems.push(`temporary files left: ${leftovers.slice(0, 5).join(', ')}`);
  if ((extraSubmitsByReason['unexplained'] ?? 0) > 0)
    problems.push('billable submissions without a recorded reason');
  return {
    completed,
    failed: entries.length - completed,
    failuresByReason,
    extraSubmitsByReason,
    extraSubmits,
    problems,
    overBudget: extraSubmits > rows.length * 0.005,
  };
}
