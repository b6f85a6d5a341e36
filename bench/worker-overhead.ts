import { startPrivateRedis } from '../test/helpers/redis.js';
import { log, round, type ScenarioResult } from './common.js';
import { benchRows, follow, rateBetween, startStage, startWorkers } from './fleet.js';
import { pollingStats } from './ledger-stats.js';

/** Rows in flight. */
export const OVERHEAD_CONCURRENCY = 32;
/** Simulated latency of every request, seconds (no noise, no queue time). */
export const OVERHEAD_LATENCY_S = 2;
const WAVES = 8;
const ROUNDS = 3;

/**
 * One worker process with C rows in flight against a simulator whose every request takes
 * exactly L. Throughput is read from the end of the first wave (C rows done: the cold start
 * and the learning of L are behind) to the last row, and compared with C / L. The detection
 * delay of the poll schedule is part of what is measured, and is also reported apart so that
 * the queue's own cost can be told from the schedule's. This is one such measurement, on a
 * fresh Redis and simulator.
 */
async function measureOnce() {
  const redis = await startPrivateRedis();
  const total = OVERHEAD_CONCURRENCY * WAVES;
  const stage = await startStage(
    redis.url,
    { fixedLatencyS: OVERHEAD_LATENCY_S, latencyScale: 1, latencySigma: 0 },
    { TTS_POLL_SCHEDULE: 'adaptive' },
  );
  try {
    const worker = await startWorkers(stage, 1, OVERHEAD_CONCURRENCY);
    await stage.seed(benchRows(total, ['gemini-3.1-flash-tts'], 40));
    const samples = await follow(stage, total, 120_000);
    await worker.stop();
    return {
      rowsPerS: rateBetween(samples, OVERHEAD_CONCURRENCY, total),
      polling: pollingStats(stage.sim.ledger()),
    };
  } finally {
    await stage.close();
    await redis.stop();
  }
}

/**
 * The measurement is made ROUNDS times, each on a fresh Redis and simulator, and the best round
 * counts (the ideal C / L has no noise; other processes on the machine only ever slow a round).
 */
export async function benchWorkerOverhead(): Promise<ScenarioResult> {
  const total = OVERHEAD_CONCURRENCY * WAVES;
  const rounds = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    log(
      `worker: round ${round}/${ROUNDS}: ${total} rows, ${OVERHEAD_CONCURRENCY} in flight, fixed latency ${OVERHEAD_LATENCY_S} s`,
    );
    rounds.push(await measureOnce());
  }
  const best = rounds.reduce((a, b) => (b.rowsPerS > a.rowsPerS ? b : a));
  const { rowsPerS, polling } = best;
  const idealRowsPerS = OVERHEAD_CONCURRENCY / OVERHEAD_LATENCY_S;
  const efficiency = rowsPerS / idealRowsPerS;
  // What the rows could do if the schedule noticed completions at once: C / (L + delay).
  const scheduleBoundRowsPerS = OVERHEAD_CONCURRENCY / (OVERHEAD_LATENCY_S + polling.detectDelayMs / 1000);
  const ownEfficiency = rowsPerS / scheduleBoundRowsPerS;
  const roundEfficiencies = rounds.map((each) => round(each.rowsPerS / idealRowsPerS));
  log(`worker: efficiency by round ${roundEfficiencies.join(' / ')}`);
  return {
    figures: {
      'worker.efficiency': round(efficiency),
      'worker.rows_per_s': round(rowsPerS, 2),
      'worker.ideal_rows_per_s': idealRowsPerS,
      'worker.efficiency_given_detect_delay': round(ownEfficiency),
      'worker.detect_delay_ms': round(polling.detectDelayMs, 1),
      'worker.calls_per_row': round(polling.callsPerRow, 2),
      'worker.efficiency_by_round': Object.fromEntries(
        roundEfficiencies.map((value, at) => [`round_${at + 1}`, value]),
      ),
    },
    rows: [
      {
        scenario: `worker overhead (C=${OVERHEAD_CONCURRENCY}, L=${OVERHEAD_LATENCY_S} s)`,
        measure: `${rowsPerS.toFixed(1)} rows/s vs ideal C/L = ${idealRowsPerS}; detection delay ${polling.detectDelayMs.toFixed(0)} ms, ${polling.callsPerRow.toFixed(2)} calls/row; best of ${ROUNDS} (${roundEfficiencies.join(', ')})`,
        value: `efficiency ${efficiency.toFixed(2)}`,
        goal: '>= 0.9',
        met: efficiency >= 0.9,
      },
      {
        scenario: `worker overhead (C=${OVERHEAD_CONCURRENCY}, L=${OVERHEAD_LATENCY_S} s)`,
        measure: 'rows/s vs C / (L + measured detection delay): the queue alone',
        value: `efficiency ${ownEfficiency.toFixed(2)}`,
        goal: 'reported',
        met: undefined,
      },
    ],
  };
}
