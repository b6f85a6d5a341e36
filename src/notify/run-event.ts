import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Cluster, Redis } from 'ioredis';
import { runKeys } from '../queue/keys.js';
import { decodeRunMeta } from '../queue/run-meta.js';
import type { ReviewRows } from '../queue/run-review.js';

/**
 * What a run tells the operator about, by webhook (`TTS_NOTIFY_URL`) and command (`TTS_NOTIFY_CMD`):
 * - `run.finished`: every row has an outcome and the final manifests are written;
 * - `run.halted`: the fleet stopped (a refused key or account, credits below the floor, a 406,
 *   the API's protocol going wrong) with rows of this run still to do;
 * - `run.budget_reached`: the run's spending limit holds its remaining rows (raised by the budget);
 * - `run.needs_review`: the run finished with rows whose kept take failed its checks (clip QA).
 */
export const RUN_EVENT_TYPES = [
  'run.finished',
  'run.halted',
  'run.budget_reached',
  'run.needs_review',
] as const;
export type RunEventType = (typeof RUN_EVENT_TYPES)[number];

/** A run's figures when the event was raised: the `data` of the webhook's JSON. */
export type RunFacts = {
  readonly run: string;
  /** Rows of the run's script, and how many of them are completed, failed and still to do. */
  readonly rows: number;
  readonly completed: number;
  readonly failed: number;
  readonly pending: number;
  /** USD: what the results reported (`metrics.cost`), else the price table. */
  readonly cost_usd: number;
  readonly audio_seconds: number;
  /** API calls spent on the run. */
  readonly calls: number;
  readonly out_dir: string;
  /** Where the run's outputs are (present or not yet: `report.html` is written by `report`). */
  readonly outputs: {
    readonly manifest_json: string;
    readonly manifest_csv: string;
    readonly manifest_jsonl: string;
    readonly report_html: string;
  };
  /** Why the fleet halted or the budget held the run (absent for `run.finished`). */
  readonly reason?: string;
  /** `run.needs_review`: the rows kept with a take that failed its checks (the first 100), with why. */
  readonly needs_review?: ReviewRows;
};

/** The webhook's body (Standard Webhooks' `type`, `timestamp`, `data`); `id` is its `webhook-id`. */
export type RunEvent = {
  readonly id: string;
  readonly type: RunEventType;
  /** ISO 8601, when the event was raised. */
  readonly timestamp: string;
  readonly data: RunFacts;
};

/**
 * An event id from what identifies the event, so that every worker that raises the same event
 * raises the same id (the notify job's id: queued once, delivered once).
 */
export function runEventId(type: RunEventType, parts: readonly (string | number)[]): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([type, ...parts]))
    .digest('hex');
  return `evt_${digest.slice(0, 32)}`;
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/** The run's figures as Redis holds them (two HLENs and two hashes). */
export async function readRunFacts(
  redis: Redis | Cluster,
  prefix: string,
  run: string,
  outDir?: string,
): Promise<RunFacts & { readonly updatedAt: number }> {
  const keys = runKeys(prefix, run);
  const [rowCount, outcomes, stats, metaFields] = await Promise.all([
    redis.hlen(keys.rows),
    redis.hlen(keys.outcomes),
    redis.hgetall(keys.stats),
    redis.hgetall(keys.meta),
  ]);
  const meta = decodeRunMeta(metaFields);
  const stat = (field: string) => Number(stats[field] ?? 0) || 0;
  const rows = rowCount || meta?.rows || 0;
  const dir = outDir ?? meta?.outDir ?? '';
  const failed = Math.max(0, stat('failed'));
  const completed = Math.max(0, stat('completed'));
  return {
    run,
    rows,
    completed,
    failed,
    pending: Math.max(0, rows - outcomes),
    cost_usd: round(stat('cost_usd'), 6),
    audio_seconds: round(stat('audio_ms') / 1000, 3),
    calls: stat('calls'),
    out_dir: dir,
    outputs: {
      manifest_json: join(dir, 'manifest.json'),
      manifest_csv: join(dir, 'manifest.csv'),
      manifest_jsonl: join(dir, 'manifest.jsonl'),
      report_html: join(dir, 'report.html'),
    },
    updatedAt: meta?.updatedAt ?? 0,
  };
}

/** The event of a run whose final manifests were just written: one per distinct result of the run. */
export async function runFinishedEvent(
  redis: Redis | Cluster,
  prefix: string,
  run: string,
  outDir: string,
  nowMs: number,
): Promise<RunEvent> {
  const { updatedAt, ...facts } = await readRunFacts(redis, prefix, run, outDir);
  const id = runEventId('run.finished', [run, updatedAt, facts.rows, facts.completed, facts.failed]);
  return { id, type: 'run.finished', timestamp: new Date(nowMs).toISOString(), data: facts };
}

/** A run's event with a reason (`run.halted`, `run.budget_reached`); `episode` tells one halt or limit from the next. */
export async function runHeldEvent(
  type: Exclude<RunEventType, 'run.finished'>,
  input: {
    redis: Redis | Cluster;
    prefix: string;
    run: string;
    reason: string;
    episode: string;
    nowMs: number;
  },
): Promise<RunEvent> {
  const { updatedAt: _updatedAt, ...facts } = await readRunFacts(input.redis, input.prefix, input.run);
  return {
    id: runEventId(type, [input.run, input.episode]),
    type,
    timestamp: new Date(input.nowMs).toISOString(),
    data: { ...facts, reason: input.reason },
  };
}
