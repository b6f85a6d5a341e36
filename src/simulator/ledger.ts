import type { ModelSlug } from '../segmind/models.js';
import type { Defect, DefectKind } from './defects.js';

/** What was billed and asked, as `GET /_sim/ledger` returns it. */
export type Ledger = {
  /** One entry per billable submission (every submit that created a job), in arrival order. */
  submits: {
    request_id: string;
    /** SHA-256 of the submitted `text`, hex. */
    text_sha256: string;
    model: string;
    /** As sent; null when the body had none. */
    voice_1: string | null;
    voice_2: string | null;
    /** As sent, or the API default 0.4. */
    temperature: number;
    /** ISO 8601. */
    at: string;
    /** The defect its audio was given (`--defect-rate`); absent when the audio is as it should be. */
    defect?: DefectKind;
  }[];
  counts: LedgerCounts;
  /** One entry per created job. Times are ms since the epoch. */
  requests: {
    request_id: string;
    submitted_at: number;
    completes_at: number;
    /** First status or result call at or after `completes_at` that reported COMPLETED (or FAILED). */
    first_seen_completed_at: number | null;
    /** Calls for this id that got past authentication and rate limits, faults included. */
    status_calls: number;
    result_calls: number;
    outcome: 'COMPLETED' | 'FAILED';
    /** USD: the model's price once COMPLETED (0 before completion and for FAILED). */
    cost: number;
  }[];
  /** USD, or null when credits are unlimited. Spent as inferences complete. */
  credits_remaining: number | null;
};

export type LedgerCounts = {
  /** Every POST to a model route, whatever the answer. */
  submit: number;
  /** Every GET of a status URL, whatever the answer. */
  status: number;
  /** Every GET of a result URL, whatever the answer. */
  result: number;
  /** Every GET of a file URL. */
  download: number;
  /** 429 answers, random or from the rpm limit. */
  r429: number;
  r5xx: number;
  /** Connections destroyed without an answer. */
  reset: number;
  /** Jobs created whose inference ends FAILED (random failures and deferred validation). */
  failed: number;
  /** 404 answers for ids that existed but are older than the retention. */
  expired: number;
  /** Downloads that carried an `x-api-key` header (a client leaking its key to the CDN). */
  download_with_key: number;
  /** 401 answers. */
  unauthorized: number;
  /** 406 answers of a submit refused for want of credits (`--credits`). */
  insufficient_credits: number;
};

/** A created job: everything needed to answer status, result and download calls about it. */
export type SimRequest = {
  readonly id: string;
  readonly model: ModelSlug;
  readonly text: string;
  readonly submittedAtMs: number;
  readonly queuedUntilMs: number;
  readonly completesAtMs: number;
  readonly queueMs: number;
  readonly inferenceMs: number;
  /** Set when the inference ends FAILED. */
  readonly failure: string | undefined;
  /** Set when its audio is served defective (`--defect-rate`). */
  readonly defect: Defect | undefined;
  readonly priceUsd: number;
  firstSeenCompletedAtMs: number | null;
  statusCalls: number;
  resultCalls: number;
};

export type LedgerStore = {
  readonly counts: LedgerCounts;
  readonly submits: Ledger['submits'];
  add(request: SimRequest): void;
  get(id: string): SimRequest | undefined;
  /** USD left once every inference completed by `nowMs` is paid for; undefined when unlimited. */
  creditsRemaining(nowMs: number): number | undefined;
  snapshot(nowMs: number): Ledger;
};

export function makeLedgerStore(credits: number | undefined): LedgerStore {
  const counts: LedgerCounts = {
    submit: 0,
    status: 0,
    result: 0,
    download: 0,
    r429: 0,
    r5xx: 0,
    reset: 0,
    failed: 0,
    expired: 0,
    download_with_key: 0,
    unauthorized: 0,
    insufficient_credits: 0,
  };
  const submits: Ledger['submits'] = [];
  const requests = new Map<string, SimRequest>();
  // Charges fall due at completion time; only the unsettled ones are kept here, so settling is
  // cheap however many requests the run has made.
  let unsettled: SimRequest[] = [];
  let spentUsd = 0;

  function settle(nowMs: number): void {
    if (unsettled.length === 0) return;
    const due = unsettled.filter((request) => request.completesAtMs <= nowMs);
    if (due.length === 0) return;
    unsettled = unsettled.filter((request) => request.completesAtMs > nowMs);
    for (const request of due) spentUsd += request.priceUsd;
  }

  function costOf(request: SimRequest, nowMs: number): number {
    return request.failure === undefined && request.completesAtMs <= nowMs ? request.priceUsd : 0;
  }

  function creditsRemaining(nowMs: number): number | undefined {
    if (credits === undefined) return undefined;
    settle(nowMs);
    // Rounded to whole micro-dollars so that sums of prices like 0.0067 print cleanly.
    return Math.round((credits - spentUsd) * 1e6) / 1e6;
  }

  return {
    counts,
    submits,
    add(request) {
      requests.set(request.id, request);
      if (request.failure === undefined) unsettled.push(request);
      else counts.failed += 1;
    },
    get: (id) => requests.get(id),
    creditsRemaining,
    snapshot(nowMs) {
      return structuredClone({
        submits,
        counts,
        requests: [...requests.values()].map((request) => ({
          request_id: request.id,
          submitted_at: request.submittedAtMs,
          completes_at: request.completesAtMs,
          first_seen_completed_at: request.firstSeenCompletedAtMs,
          status_calls: request.statusCalls,
          result_calls: request.resultCalls,
          outcome: request.failure === undefined ? ('COMPLETED' as const) : ('FAILED' as const),
          cost: costOf(request, nowMs),
        })),
        credits_remaining: creditsRemaining(nowMs) ?? null,
      });
    },
  };
}
