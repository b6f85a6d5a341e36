import type { PollScheduleName } from '../src/settings.js';
import { startPrivateRedis } from '../test/helpers/redis.js';
import { log, round, type Figures, type ScenarioResult, type TableRow } from './common.js';
import { benchRows, follow, startStage, startWorkers } from './fleet.js';
import { pollingStats, type PollingStats } from './ledger-stats.js';

/** Simulated time runs this much faster than real time; the fixed interval is scaled with it. */
export const POLLING_LATENCY_SCALE = 0.2;
export const POLLING_ROWS = 264;
const POLLING_CONCURRENCY = 24;
const MIN_CHARS = 20;
const MAX_CHARS = 140;
export const SCHEDULES = [
  { key: 'adaptive', name: 'adaptive' },
  { key: 'fixed_1s', name: 'fixed' },
  { key: 'exponential', name: 'exponential' },
] as const satisfies readonly { key: string; name: PollScheduleName }[];

const MODELS = ['gemini-3.1-flash-tts', 'gemini-2.5-flash-tts'] as const;

/**
 * Realistic spread (the simulator's default queue and inference lognormals, sigma 0.35, per
 * model), half the rows on each model, texts of 20 to 140 characters. Every schedule gets a
 * fresh prefix (so the adaptive one starts cold, from the prior) and the same seed. The figures
 * leave out the first C requests submitted (the first wave, polled before the fleet had any
 * observation); the all-rows figures are reported beside them.
 */
export async function pollingRun(name: PollScheduleName): Promise<{
  cold: PollingStats;
  callsPerRowCounted: number;
  all: PollingStats;
  byModel: PollingStats[];
}> {
  const redis = await startPrivateRedis();
  const stage = await startStage(
    redis.url,
    { latencyScale: POLLING_LATENCY_SCALE },
    { TTS_POLL_SCHEDULE: name, TTS_POLL_INTERVAL_MS: String(1000 * POLLING_LATENCY_SCALE) },
  );
  try {
    const fleet = await startWorkers(stage, 1, POLLING_CONCURRENCY);
    await stage.seed(benchRows(POLLING_ROWS, MODELS, MIN_CHARS, MAX_CHARS));
    await follow(stage, POLLING_ROWS, 180_000);
    await fleet.stop();
    const ledger = stage.sim.ledger();
    const counts = ledger.counts;
    return {
      cold: pollingStats(ledger),
      callsPerRowCounted: (counts.submit + counts.status + counts.result) / POLLING_ROWS,
      all: pollingStats(ledger, undefined, POLLING_CONCURRENCY),
      byModel: MODELS.map((model) => pollingStats(ledger, model, POLLING_CONCURRENCY)),
    };
  } finally {
    await stage.close();
    await redis.stop();
  }
}

export async function benchPolling(): Promise<ScenarioResult> {
  const figures: Figures = {};
  const rows: TableRow[] = [];
  for (const schedule of SCHEDULES) {
    log(`polling: ${schedule.key}, ${POLLING_ROWS} rows, latency scale ${POLLING_LATENCY_SCALE}`);
    const { all, byModel, cold, callsPerRowCounted } = await pollingRun(schedule.name);
    figures[`polling.${schedule.key}.all_rows.calls_per_row`] = round(callsPerRowCounted, 2);
    figures[`polling.${schedule.key}.all_rows.detect_delay_ratio`] = round(cold.detectDelayRatio);
    figures[`polling.${schedule.key}.calls_per_row`] = round(all.callsPerRow, 2);
    figures[`polling.${schedule.key}.detect_delay_ratio`] = round(all.detectDelayRatio);
    figures[`polling.${schedule.key}.detect_delay_ratio_p90`] = round(all.detectDelayRatioP90);
    const perModel = byModel
      .map(
        (stats, at) =>
          `${MODELS[at]?.slice(7, 10)}: ${stats.callsPerRow.toFixed(2)} calls, ${(100 * stats.detectDelayRatio).toFixed(1)}%`,
      )
      .join('; ');
    byModel.forEach((stats, at) => {
      const model = MODELS[at] === 'gemini-3.1-flash-tts' ? 'g31' : 'g25';
      figures[`polling.${schedule.key}.${model}.calls_per_row`] = round(stats.callsPerRow, 2);
      figures[`polling.${schedule.key}.${model}.detect_delay_ratio`] = round(stats.detectDelayRatio);
    });
    const adaptive = schedule.key === 'adaptive';
    rows.push({
      scenario: `polling: ${schedule.key}`,
      measure: `calls per row, after the first wave (${perModel}; all rows ${callsPerRowCounted.toFixed(2)})`,
      value: all.callsPerRow.toFixed(2),
      goal: adaptive ? '<= 3.5' : 'reported',
      met: adaptive ? all.callsPerRow <= 3.5 : undefined,
    });
    rows.push({
      scenario: `polling: ${schedule.key}`,
      measure: `detection delay / request time, mean (p90 ${(100 * all.detectDelayRatioP90).toFixed(1)}%; all rows ${(100 * cold.detectDelayRatio).toFixed(1)}%)`,
      value: `${(100 * all.detectDelayRatio).toFixed(1)}%`,
      goal: adaptive ? '<= 10%' : 'reported',
      met: adaptive ? all.detectDelayRatio <= 0.1 : undefined,
    });
  }
  return { figures, rows };
}
