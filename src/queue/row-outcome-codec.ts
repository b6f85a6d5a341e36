import { parseJsonObject } from '../json-object.js';

/**
 * A row's recorded outcome as Redis keeps it (`runKeys().outcomes`, field = row id): only what
 * deciding needs (is the row done, for which content, where is its file, what was paid). The full
 * manifest entry lives on disk, in the run's manifest.jsonl. Stored as compact JSON with short
 * keys, small enough for Redis's listpack encoding of the hash.
 */
export type RowOutcome = {
  readonly status: 'completed' | 'failed';
  /** The content hash of the row version this outcome is for. */
  readonly contentHash: string;
  /** The audio file's name in the run directory (completed rows). */
  readonly file: string | null;
  readonly bytes: number | null;
  readonly audioSha256: string | null;
  /** Billable submissions made for this version of the row, all attempts together. */
  readonly submits: number;
  /** Why the row failed (failed rows). */
  readonly error: string | null;
  /** What `retry` does with a failed row: submit again, or resume its live request. */
  readonly retry: 'resubmit' | 'resume' | null;
};

type Stored = {
  s: 'c' | 'f';
  h: string;
  f?: string;
  b?: number;
  a?: string;
  n: number;
  e?: string;
  r?: 's' | 'r';
};

export function encodeRowOutcome(outcome: RowOutcome): string {
  const stored: Stored = {
    s: outcome.status === 'completed' ? 'c' : 'f',
    h: outcome.contentHash,
    n: outcome.submits,
  };
  if (outcome.file !== null) stored.f = outcome.file;
  if (outcome.bytes !== null) stored.b = outcome.bytes;
  if (outcome.audioSha256 !== null) stored.a = outcome.audioSha256;
  if (outcome.error !== null) stored.e = outcome.error;
  if (outcome.retry !== null) stored.r = outcome.retry === 'resubmit' ? 's' : 'r';
  return JSON.stringify(stored);
}

/** The outcome stored in Redis, or undefined for a missing or unreadable field. */
export function decodeRowOutcome(json: string | null | undefined): RowOutcome | undefined {
  const value = parseJsonObject(json);
  if (value === undefined) return undefined;
  const stored = value as Partial<Record<keyof Stored, unknown>>;
  if ((stored.s !== 'c' && stored.s !== 'f') || typeof stored.h !== 'string') return undefined;
  const text = (field: unknown) => (typeof field === 'string' ? field : null);
  const count = (field: unknown) => (typeof field === 'number' && Number.isFinite(field) ? field : null);
  return {
    status: stored.s === 'c' ? 'completed' : 'failed',
    contentHash: stored.h,
    file: text(stored.f),
    bytes: count(stored.b),
    audioSha256: text(stored.a),
    submits: count(stored.n) ?? 0,
    error: text(stored.e),
    retry: stored.r === 's' ? 'resubmit' : stored.r === 'r' ? 'resume' : null,
  };
}
