/**
 * Every Redis key of the product, in one place. All keys start with the queue prefix, so a
 * prefix with a hash tag (`{tts}`) keeps them in one slot on Redis Cluster, which the Lua
 * scripts that touch several of them need.
 */
export const ROWS_QUEUE = 'rows';
/** The BullMQ queue of chapter and book assembly jobs (see src/assembly/). */
export const ASSEMBLY_QUEUE = 'assembly';

export function runKeys(prefix: string, run: string) {
  const base = `${prefix}:run:${run}`;
  return {
    /** Hash: the run's metadata (see RunMeta). */
    meta: base,
    /** Hash: row id -> JSON RowRecord, the latest enqueued version of every script row. */
    rows: `${base}:rows`,
    /**
     * Hash: row id -> the row's recorded outcome (see row-outcome-codec.ts), only for the row's
     * current content. The run is finished when it has as many fields as `rows`.
     */
    outcomes: `${base}:outcomes`,
    /** Hash: row id -> JSON RowProgress of the row's current content (the step machine's state). */
    progress: `${base}:progress`,
    /** String with PX: the token of the one enqueue of this run under way. */
    enqueueLock: `${base}:enqueue-lock`,
    /** Hash of counters: calls, submits, cost_micro_usd, audio_ms, ... */
    stats: `${base}:stats`,
    /** Hash: the run's budget in micro-USD: `limit` (absent: none), `spent`, `held_at` (see run-budget.ts). */
    budget: `${base}:budget`,
    /** Hash: row id -> the failed checks of the take it kept (`qa.status: needs_review`), for status. */
    review: `${base}:qa-review`,
    /**
     * Hash: row id -> JSON of what a person changed of the row's request with `retake --voice
     * --temperature`, for the row's content hash it was asked for (see row-overrides.ts).
     */
    overrides: `${base}:overrides`,
    /** Hash: `chapter:<index>` / `book` -> JSON of what was assembled (see assembly/assembly-state.ts). */
    assembly: `${base}:assembly`,
    /** String with PX: the token of the assembly job putting its outputs in place (see assembly/finish-lock.ts). */
    assemblyLock: `${base}:assembly-lock`,
  } as const;
}

export function globalKeys(prefix: string) {
  return {
    /** Sorted set: run name scored by creation time (ms). */
    runs: `${prefix}:runs`,
    /** String with PX: no API call before this time (ms since epoch), set on a 429. */
    backoffUntil: `${prefix}:api:backoff-until`,
    /** Hash: the operator message and time of a whole-run stop (401, 403, 406, 410). */
    halt: `${prefix}:api:halt`,
    /** Hash: observed latency statistics by model, shared by the fleet. */
    latency: `${prefix}:api:latency`,
    /** String: the next free request slot (ms since epoch) of the fleet's GCRA request budget. */
    budget: `${prefix}:api:budget`,
    /** Counter (30 min TTL): consecutive protocol errors of the API, fleet-wide; the fleet halts at a limit. */
    protocolErrors: `${prefix}:api:protocol-errors`,
    /** String: 'status' once the API was seen not to answer pending requests on the result URL. */
    pollMode: `${prefix}:api:poll-mode`,
    /** Hash of counters: the API's answers by call and status class (`submit:2xx`, `status:429`, ...). */
    apiAnswers: `${prefix}:api:answers`,
    /** Hash: the account's last known remaining credits (`usd`) and when the API said so (`at`, ISO). */
    credits: `${prefix}:api:credits`,
  } as const;
}

/**
 * The BullMQ job id of a row: stable for the same run, row id and audio-determining content,
 * so that enqueueing the same script twice adds nothing. BullMQ refuses `:` in custom ids.
 */
export function rowJobId(run: string, rowId: string, contentHash: string): string {
  return `${run}/${rowId}/${contentHash}`;
}
