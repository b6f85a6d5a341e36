import { startPrivateRedis } from '../test/helpers/redis.js';
import { log, round, type ScenarioResult, type TableRow } from './common.js';
import { benchRows, follow, rateBetween, startStage, startWorkers } from './fleet.js';

export const SCALE_PROCESSES = [1, 2, 4] as const;
const CONCURRENCY = 16;
const LATENCY_S = 0.5;
const ROWS_PER_PROCESS = 320;

/**
 * 1, 2 and 4 worker processes, 16 rows in flight each, against one Redis and one simulator
 * (fixed latency 0.5 s, no noise, no limit). Rows/s from the end of the first wave to the last row.
 */
export async function benchScaleOut(): Promise<ScenarioResult> {
  const redis = await startPrivateRedis();
  const scaleOut: Record<string, number> = {};
  const rows: TableRow[] = [];
  try {
    for (const processes of SCALE_PROCESSES) {
      const total = ROWS_PER_PROCESS * processes;
      log(`scale out: ${processes} worker process(es), ${total} rows`);
      const stage = await startStage(
        redis.url,
        { fixedLatencyS: LATENCY_S, latencyScale: 1, latencySigma: 0 },
        { TTS_POLL_SCHEDULE: 'adaptive' },
      );
      try {
        const fleet = await startWorkers(stage, processes, CONCURRENCY);
        await stage.seed(benchRows(total, ['gemini-3.1-flash-tts'], 40));
        const samples = await follow(stage, total, 180_000);
        await fleet.stop();
        const rowsPerS = rateBetween(samples, processes * CONCURRENCY, total);
        scaleOut[`processes_${processes}_rows_per_s`] = round(rowsPerS, 2);
        scaleOut[`processes_${processes}_ideal_rows_per_s`] = (processes * CONCURRENCY) / LATENCY_S;
        const base = scaleOut['processes_1_rows_per_s'] ?? rowsPerS;
        scaleOut[`processes_${processes}_speedup`] = round(rowsPerS / base, 2);
        rows.push({
          scenario: `scale out: ${processes} process(es) x ${CONCURRENCY}`,
          measure: `rows/s (ideal ${(processes * CONCURRENCY) / LATENCY_S}, L=${LATENCY_S} s); x${(rowsPerS / base).toFixed(2)} of 1 process`,
          value: rowsPerS.toFixed(1),
          goal: 'reported',
          met: undefined,
        });
      } finally {
        await stage.close();
      }
    }
  } finally {
    await redis.stop();
  }
  return { figures: { scale_out: scaleOut }, rows };
}
