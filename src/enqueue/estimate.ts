import { MODEL_SLUGS, MODELS, PRICE_SOURCE, type ModelSlug } from '../segmind/models.js';
import type { Settings } from '../settings.js';

/**
 * API calls per row: one submit, the status polls, one result fetch. 3.5 is the target of the
 * adaptive poll schedule; to be replaced by the figure the benchmark measures.
 */
export const EXPECTED_CALLS_PER_ROW = 3.5;

export type EstimateInput = {
  readonly validRows: number;
  readonly chars: number;
  readonly rowsByModel: Readonly<Record<ModelSlug, number>>;
  /** One per row, one per part of a row sent in parts (long rows); default: `rowsByModel`. */
  readonly requestsByModel?: Readonly<Record<ModelSlug, number>>;
  /** API calls a request takes, observed by the fleet; default EXPECTED_CALLS_PER_ROW. */
  readonly callsPerRequest?: number;
};

export type Estimate = {
  readonly rows: number;
  /** Billed requests: a row each, a long row one per part. */
  readonly requests: number;
  readonly chars: number;
  readonly apiCalls: number;
  readonly callsPerRequest: number;
  /** Whether `callsPerRequest` was observed by the fleet (else the prior). */
  readonly callsObserved: boolean;
  readonly costUsd: number;
  readonly costByModelUsd: Readonly<Record<ModelSlug, number>>;
  /** The longer of the two bounds below. */
  readonly durationS: number;
  /** Every call at SEGMIND_RPM. */
  readonly rateBoundS: number;
  /** Typical latency of every row, TTS_CONCURRENCY at a time (one worker). */
  readonly latencyBoundS: number;
};

/** What a run will cost and take: one billed submit per request (a row, or each part of a long row), calls at the shared rate limit. */
export function estimateRun(
  input: EstimateInput,
  settings: Pick<Settings, 'pricesUsd' | 'segmindRpm' | 'concurrency'>,
): Estimate {
  const requests = input.requestsByModel ?? input.rowsByModel;
  const requestCount = MODEL_SLUGS.reduce((sum, slug) => sum + requests[slug], 0);
  const callsPerRequest = input.callsPerRequest ?? EXPECTED_CALLS_PER_ROW;
  const apiCalls = Math.ceil(requestCount * callsPerRequest);
  const costByModelUsd = Object.fromEntries(
    MODEL_SLUGS.map((slug) => [slug, requests[slug] * settings.pricesUsd[slug]]),
  ) as Record<ModelSlug, number>;
  const latencyS = MODEL_SLUGS.reduce((sum, slug) => sum + requests[slug] * MODELS[slug].typicalLatencyS, 0);
  const rateBoundS = (apiCalls / settings.segmindRpm) * 60;
  const latencyBoundS = latencyS / settings.concurrency;
  return {
    rows: input.validRows,
    requests: requestCount,
    chars: input.chars,
    apiCalls,
    callsPerRequest,
    callsObserved: input.callsPerRequest !== undefined,
    costUsd: MODEL_SLUGS.reduce((sum, slug) => sum + costByModelUsd[slug], 0),
    costByModelUsd,
    durationS: Math.max(rateBoundS, latencyBoundS),
    rateBoundS,
    latencyBoundS,
  };
}

export function formatDuration(seconds: number): string {
  const total = Math.ceil(seconds);
  if (total < 60) return `${total} s`;
  const minutes = Math.ceil(total / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

const usd = (value: number) => `$${value.toFixed(value < 1 ? 4 : 2)}`;
const count = (value: number) => value.toLocaleString('en-US');

export function formatEstimate(
  estimate: Estimate,
  settings: Pick<Settings, 'pricesUsd' | 'segmindRpm' | 'concurrency'>,
  /** The script's valid rows, when the estimate is of fewer (the rows a dry run found to bill). */
  scriptRows: number = estimate.rows,
): string {
  const perModel = MODEL_SLUGS.filter((slug) => estimate.costByModelUsd[slug] > 0).map(
    (slug) => `  ${slug}: ${usd(estimate.costByModelUsd[slug])} at ${usd(settings.pricesUsd[slug])}/call`,
  );
  return [
    scriptRows === estimate.rows
      ? `rows:            ${count(estimate.rows)}`
      : `rows:            ${count(estimate.rows)} billed (of ${count(scriptRows)} in the script)`,
    `characters:      ${count(estimate.chars)}`,
    ...(estimate.requests !== estimate.rows
      ? [`requests:        ${count(estimate.requests)} (rows over TTS_CHUNK_CHARS are sent in parts)`]
      : []),
    estimate.callsObserved
      ? `API calls:       ~${count(estimate.apiCalls)} (${estimate.callsPerRequest.toFixed(1)} per row, as earlier rows took: submit, polls, result)`
      : `API calls:       ~${count(estimate.apiCalls)} (${EXPECTED_CALLS_PER_ROW} per row: submit, polls, result)`,
    `estimated cost:  ${usd(estimate.costUsd)} (one billed submit per row; prices: ${PRICE_SOURCE}, override with SEGMIND_PRICES)`,
    ...perModel,
    `estimated time:  ~${formatDuration(estimate.durationS)} (rate limit ${settings.segmindRpm} req/min: ${formatDuration(estimate.rateBoundS)}; typical latency at ${settings.concurrency} rows in flight on one worker: ${formatDuration(estimate.latencyBoundS)})`,
  ].join('\n');
}
