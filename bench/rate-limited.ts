import { setTimeout as delay } from 'node:timers/promises';
import type { PollScheduleName } from '../src/settings.js';
import { startPrivateRedis } from '../test/helpers/redis.js';
import { log, round, type ScenarioResult } from './common.js';
import { benchRows, startStage, startWorkers } from './fleet.js';
import { pollingStats } from './ledger-stats.js';

/** Rate limit of the scenario, per (simulated) minute. */
export const RPM = 50;
/**
 * Simulated time runs SPEEDUP times faster: latencies × 1/SPEEDUP, and both the simulator's
 * enforced limit and SEGMIND_RPM × SPEEDUP (per real minute), the fixed interval ÷ SPEEDUP.
 * Every duration in the system shrinks by the same factor, so rows per real minute ÷ SPEEDUP
 * is rows per simulated minute.
 */
export const SPEEDUP = 10;
const WARMUP_S = 8;
const WINDOW_S = 32;
const CONCURRENCY = 16;
const ROWS = 600;

async function rowsPerMinute(
  name: PollScheduleName,
): Promise<{ rowsPerMin: number; callsPerRow: number; r429: number }> {
  const redis = await startPrivateRedis();
  const stage = await startStage(
    redis.url,
    { latencyScale: 1 / SPEEDUP, rpm: RPM * SPEEDUP, rpmCounts: 'all' },
    {
      TTS_POLL_SCHEDULE: name,
      TTS_POLL_INTERVAL_MS: String(1000 / SPEEDUP),
      SEGMIND_RPM: String(RPM * SPEEDUP),
    },
  );
  try {
    const fleet = await startWorkers(stage, 1, CONCURRENCY);
    await stage.seed(benchRows(ROWS, ['gemini-3.1-flash-tts', 'gemini-2.5-flash-tts'], 20, 140));
    await delay(WARMUP_S * 1000);
    const before = await stage.done();
    await delay(WINDOW_S * 1000);
    const after = await stage.done();
    await fleet.stop();
    const ledger = stage.sim.ledger();
    const finished = ledger.requests.filter((request) => request.first_seen_completed_at !== null);
    const perRow = pollingStats({ ...ledger, requests: finished });
    return {
      rowsPerMin: (after - before) / (WINDOW_S / 60) / SPEEDUP,
      callsPerRow: perRow.callsPerRow,
      r429: ledger.counts.r429,
    };
  } finally {
    await stage.close();
    await redis.stop();
  }
}

/**
 * SEGMIND_RPM = 50 with the simulator enforcing 50 per minute (sliding window, every call
 * counted), both sped up SPEEDUP times along with the latencies. Rows finished in a window of
 * WINDOW_S real seconds after WARMUP_S, adaptive against fixed 1 s.
 */
export async function benchRateLimited(): Promise<ScenarioResult> {
  log(`rate limited: adaptive, ${RPM} rpm x${SPEEDUP}, ${WARMUP_S + WINDOW_S} s`);
  const adaptive = await rowsPerMinute('adaptive');
  log(`rate limited: fixed 1 s, ${RPM} rpm x${SPEEDUP}, ${WARMUP_S + WINDOW_S} s`);
  const fixed = await rowsPerMinute('fixed');
  const ratio = adaptive.rowsPerMin / fixed.rowsPerMin;
  return {
    figures: {
      'rate_limited.rows_per_min_adaptive': round(adaptive.rowsPerMin, 2),
      'rate_limited.rows_per_min_fixed_1s': round(fixed.rowsPerMin, 2),
      'rate_limited.ratio': round(ratio, 2),
      'rate_limited.calls_per_row_adaptive': round(adaptive.callsPerRow, 2),
      'rate_limited.calls_per_row_fixed_1s': round(fixed.callsPerRow, 2),
      'rate_limited.r429': adaptive.r429 + fixed.r429,
    },
    rows: [
      {
        scenario: `rate limit ${RPM} rpm (C=${CONCURRENCY})`,
        measure: `rows/min: adaptive ${adaptive.rowsPerMin.toFixed(1)} (${adaptive.callsPerRow.toFixed(2)} calls/row), fixed 1 s ${fixed.rowsPerMin.toFixed(1)} (${fixed.callsPerRow.toFixed(2)} calls/row); 429s ${adaptive.r429 + fixed.r429}`,
        value: `${ratio.toFixed(2)}x`,
        goal: '>= 3x',
        met: ratio >= 3,
      },
    ],
  };
}
