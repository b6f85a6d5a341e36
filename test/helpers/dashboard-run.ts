import { assertBilledAtMostRecorded } from './billing.js';
import { enqueueRowsOk } from './enqueue-rows.js';
import { nightRows, startNight, type Night } from './night.js';
import { finishedManifest, until } from './processes.js';
import { startTestWorker } from './worker.js';

export type FaultyRun = {
  readonly night: Night;
  /** manifest.json of the finished run `night`. */
  readonly entries: readonly Record<string, unknown>[];
};

/**
 * A finished run `night` of `rows` rows, made by a real worker through the simulator's seeded
 * faults (429, 5xx, dropped connections, FAILED inferences); its bill checked against the ledger.
 */
export async function runThroughFaults(rows = 24): Promise<FaultyRun> {
  const night = await startNight({
    sim: { rate429: 0.15, rate5xx: 0.1, rateReset: 0.1, rateFailed: 0.25, seed: 12, latencyScale: 0.02 },
    env: { LOG_LEVEL: 'warn', TTS_ROW_TRANSIENT_FAILURES: '20' },
  });
  await enqueueRowsOk(night.target, nightRows(rows, 'dash'));
  const { rowWorker } = startTestWorker({ env: night.env });
  try {
    await until(() => finishedManifest(night.outDir, rows) !== undefined, 'the run to finish', 6000);
  } finally {
    await rowWorker.stop();
  }
  const entries = finishedManifest(night.outDir, rows) ?? [];
  assertBilledAtMostRecorded(night.sim.ledger(), entries);
  return { night, entries };
}

/** Failed rows of a manifest by their error, as the dashboard groups them. */
export function failuresByReason(entries: readonly Record<string, unknown>[]): Map<string, number> {
  const reasons = new Map<string, number>();
  for (const entry of entries) {
    if (entry['status'] !== 'failed') continue;
    const reason = String(entry['error']);
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  return reasons;
}
