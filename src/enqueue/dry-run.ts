import { makeSpeakingRateStore } from '../qa/speaking-rate.js';
import { connectRedis, makeRedis, RedisUnreachableError, type RedisClient } from '../redis/connection.js';
import type { Settings } from '../settings.js';
import { tallyBilledRows, type VoiceRows } from './billed-rows.js';
import { compareWithRun, type RowComparison } from './dry-run-rows.js';
import { estimateRun, type Estimate } from './estimate.js';
import { makeBudgetStore, type RunBudget } from '../queue/run-budget.js';
import { readObservedRates, type ObservedRates } from './observed-rates.js';
import type { RowSpool } from './row-spool.js';
import type { ScriptScan } from './scan-script.js';

/** What enqueueing the script would do and bill, told without doing it. */
export type DryRun = {
  /** The comparison with the run; `unreachable`: why there was none (every valid row counted as new). */
  readonly rows: { readonly compared: RowComparison } | { readonly unreachable: string };
  /** Of the rows that would be billed only. */
  readonly estimate: Estimate;
  /** Seconds of audio the billed rows should make: speech-weighted characters at the speaking rate. */
  readonly audioS: number;
  /** Model and voice pairs of the billed rows whose speaking rate the fleet learned (the rest: the prior). */
  readonly learnedRates: number;
  /** The speaking rate assumed where none was learned (TTS_QA_THRESHOLDS' priorCharsPerSecond). */
  readonly priorCharsPerSecond: number;
  readonly voices: readonly VoiceRows[];
  /** Cost and calls per row seen in earlier rows of the run or the fleet. */
  readonly observed: ObservedRates | undefined;
  /** The run's budget as it stands (its limit, what its submits reserved); undefined without Redis. */
  readonly budget: RunBudget | undefined;
};

export type DryRunDeps = {
  /** Undefined when Redis could not be reached: `unreachable` says why. */
  readonly redis: RedisClient | undefined;
  readonly unreachable?: string;
  readonly prefix: string;
  readonly run: string;
  /** Absolute output directory of the run. */
  readonly outDir: string;
  /** Pass 1's validated rows: their texts, models and voices. */
  readonly spool: RowSpool;
  readonly settings: Pick<
    Settings,
    'pricesUsd' | 'segmindRpm' | 'concurrency' | 'chunkChars' | 'qaThresholds'
  >;
  readonly signal?: AbortSignal | undefined;
};

/** The dry run of an enqueue, read-only: nothing written to Redis or disk, no lock, no job. */
export async function dryRunEnqueue(scan: ScriptScan, deps: DryRunDeps): Promise<DryRun> {
  const { redis } = deps;
  const compared = redis ? await compareWithRun({ ...deps, redis }, scan) : undefined;
  const observed = redis ? await readObservedRates(redis, deps.prefix, deps.run) : undefined;
  const budget = redis ? await makeBudgetStore(redis, deps.prefix).read(deps.run) : undefined;
  const billed = await tallyBilledRows(
    deps.spool,
    scan,
    compared?.billed,
    deps.settings.chunkChars,
    deps.signal,
  );
  const prior = deps.settings.qaThresholds.priorCharsPerSecond;
  const rates = redis
    ? makeSpeakingRateStore(redis, { prefix: deps.prefix, priorCharsPerSecond: prior })
    : undefined;
  let audioS = 0;
  let learnedRates = 0;
  for (const { model, voice, weight } of billed.speech) {
    const rate = rates ? await rates.rateFor(model, voice).catch(() => prior) : prior;
    audioS += weight / rate;
    if (rate !== prior) learnedRates += 1;
  }
  const estimate = estimateRun(
    {
      validRows: billed.rows,
      chars: billed.chars,
      rowsByModel: billed.rowsByModel,
      requestsByModel: billed.requestsByModel,
      ...(observed?.callsPerRow === undefined ? {} : { callsPerRequest: observed.callsPerRow }),
    },
    deps.settings,
  );
  return {
    rows: compared ? { compared } : { unreachable: deps.unreachable ?? 'no Redis' },
    estimate,
    audioS,
    learnedRates,
    priorCharsPerSecond: prior,
    voices: billed.voices,
    observed,
    budget,
  };
}

/** A connection for the dry run, or why there is none (the dry run then tells the script alone). */
export async function connectForDryRun(
  settings: Settings,
): Promise<{ readonly redis: RedisClient } | { readonly unreachable: string }> {
  const redis = makeRedis(settings, 'command');
  redis.on('error', () => {});
  try {
    return { redis: await connectRedis(redis, settings) };
  } catch (error) {
    redis.disconnect();
    if (error instanceof RedisUnreachableError) return { unreachable: error.message };
    throw error;
  }
}
