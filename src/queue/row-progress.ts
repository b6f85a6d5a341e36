import type { RedisClient } from '../redis/connection.js';
import { runScript, type LuaScript } from '../redis/scripts.js';
import { ANSWER, BEGIN, CANCEL, RECOUNT, SAVE, SETTLE } from './row-progress-lua.js';
import { runKeys } from './keys.js';

/** A submitted request whose result is still to be fetched. Stored before anything else happens. */
export type SubmittedRequest = {
  readonly requestId: string;
  readonly statusUrl: string;
  readonly responseUrl: string;
  /** ms since epoch */
  readonly submittedAt: number;
  /** Set once a poll saw it COMPLETED: the next step fetches the result. */
  readonly completed?: boolean;
};

/**
 * A clip's checks as its saved audio keeps them (see src/qa): `pass` (the first take passed),
 * `retaken` (a later take did), `needs_review` (none did: the best is kept), `unchecked` (not
 * checked: an MP3 without an ffmpeg to decode it). Lists are comma-joined (Lua's cjson).
 */
export type SavedQa = {
  readonly status: 'pass' | 'retaken' | 'needs_review' | 'unchecked';
  readonly reasons: string;
  /** Takes made of the clip, this one included. */
  readonly takes: number;
  readonly measured?: Readonly<Record<string, number | string | null>>;
};

/** What a completed row saved. */
export type SavedAudio = {
  readonly file: string;
  readonly bytes: number;
  readonly durationS: number;
  readonly sha256: string;
  readonly requestId: string;
  readonly inferenceTimeS: number | null;
  readonly cost: number | null;
  /** Set once the clip was checked: the row is then recorded. */
  readonly qa?: SavedQa;
};

/**
 * The state of one row's version (content hash) between steps, kept in the run's `progress`
 * hash (never in the job: a row's state must outlive its job, and two workers that hold the
 * same row after a lost lock must see one state). The billing fields (`submits`, `sending`,
 * `settled`) change only through the atomic operations below. Lists are comma-joined strings,
 * so that Lua's cjson round-trips them unchanged.
 */
export type RowProgress = {
  readonly contentHash: string;
  /** Billable submissions made for this version of the row (ambiguous ones included). */
  readonly submits: number;
  /** Tokens of POSTs counted in `submits` that may be on the wire now. */
  readonly sending: string;
  /** Tokens of POSTs declared ambiguous (their sender lost the row) whose answer may still come. */
  readonly settled: string;
  /** The request being awaited, if any. */
  readonly current?: SubmittedRequest | undefined;
  readonly lastRequestId?: string | undefined;
  /** Why each submission beyond the first happened, comma-joined ('expired', 'ambiguous', ...). */
  readonly reasons: string;
  /** How many of `reasons` came before the last `retry`: limits count only the ones after it. */
  readonly retryBase: number;
  /** Transient failures (5xx, network, disk) since the row last moved forward. */
  readonly transient: number;
  /** API calls spent on this row (submits, polls, result fetches). */
  readonly calls: number;
  /** The audio once written: a restart after this point records the outcome without the API. */
  readonly saved?: SavedAudio | undefined;
  /** Earlier takes that failed their checks, JSON of `SavedTake[]` (a string: it round-trips through Lua). */
  readonly takes?: string | undefined;
  /** `retake`: a person asked for a new take of the saved clip (`tts-batch retake`); the worker sets it aside first. */
  readonly takeAgain?: string | undefined;
};

export function emptyProgress(contentHash: string, submits = 0): RowProgress {
  return {
    contentHash,
    submits,
    sending: '',
    settled: '',
    reasons: '',
    retryBase: 0,
    transient: 0,
    calls: 0,
  };
}

export function reasonList(progress: RowProgress): string[] {
  return progress.reasons === '' ? [] : progress.reasons.split(',');
}

/** The stored progress of this content version, or undefined. */
export function decodeProgress(
  json: string | null | undefined,
  contentHash: string,
): RowProgress | undefined {
  if (json === null || json === undefined) return undefined;
  try {
    const value = JSON.parse(json) as RowProgress;
    return value.contentHash === contentHash ? value : undefined;
  } catch {
    return undefined;
  }
}

export type BeginResult =
  { readonly kind: 'ok' | 'current'; readonly progress: RowProgress } | { readonly kind: 'fenced' };

/** The row's progress in Redis, one operation per change. */
export type ProgressStore = {
  load(id: string, contentHash: string): Promise<RowProgress | undefined>;
  begin(
    id: string,
    fallback: RowProgress,
    token: string,
    lock: { key: string; token: string },
  ): Promise<BeginResult>;
  answer(id: string, fallback: RowProgress, token: string, request: SubmittedRequest): Promise<RowProgress>;
  cancel(id: string, fallback: RowProgress, token: string): Promise<RowProgress>;
  settle(id: string, fallback: RowProgress, token: string, reason: string): Promise<RowProgress>;
  /**
   * Raises the row's count to `submits` (its journal's) when Redis counts fewer, each one added
   * with `reason`; `last`, an answered request Redis forgot, is then awaited (unless audio is saved).
   */
  recount(
    id: string,
    fallback: RowProgress,
    submits: number,
    reason: string,
    last: SubmittedRequest | undefined,
  ): Promise<RowProgress>;
  save(id: string, progress: RowProgress): Promise<RowProgress>;
};

export function makeProgressStore(redis: RedisClient, prefix: string, run: string): ProgressStore {
  const key = runKeys(prefix, run).progress;
  const parse = (json: unknown): RowProgress => JSON.parse(String(json)) as RowProgress;
  const run1 = async (lua: LuaScript, id: string, fallback: RowProgress, ...args: string[]) =>
    parse(await runScript(redis, lua, [key], [id, fallback.contentHash, JSON.stringify(fallback), ...args]));
  return {
    async load(id, contentHash) {
      return decodeProgress(await redis.hget(key, id), contentHash);
    },
    async begin(id, fallback, token, lock) {
      const [kind, json] = (await runScript(
        redis,
        BEGIN,
        [key, lock.key],
        [id, fallback.contentHash, JSON.stringify(fallback), token, lock.token],
      )) as [string, string];
      if (kind === 'fenced') return { kind };
      return { kind: kind === 'current' ? 'current' : 'ok', progress: parse(json) };
    },
    answer: (id, fallback, token, request) => run1(ANSWER, id, fallback, token, JSON.stringify(request)),
    cancel: (id, fallback, token) => run1(CANCEL, id, fallback, token),
    settle: (id, fallback, token, reason) => run1(SETTLE, id, fallback, token, reason),
    recount: (id, fallback, submits, reason, last) =>
      run1(RECOUNT, id, fallback, String(submits), reason, last ? JSON.stringify(last) : ''),
    save: (id, progress) => run1(SAVE, id, progress, JSON.stringify(progress)),
  };
}

/**
 * Readies a failed row for a new attempt (`tts-batch retry`): the limits count again from here,
 * and a row whose request failed (or that gave up) submits anew, a counted submission, while
 * one that failed with its request alive (a download, polling) resumes it.
 */
export async function prepareRetry(
  store: ProgressStore,
  id: string,
  contentHash: string,
  submits: number,
  kind: 'resubmit' | 'resume',
  /** `unsaved`: a part of a row sent in parts, whose saved audio is kept as it is. */
  which: 'any' | 'unsaved' = 'any',
): Promise<RowProgress> {
  const progress = (await store.load(id, contentHash)) ?? emptyProgress(contentHash, submits);
  if (which === 'unsaved' && progress.saved) return progress;
  return store.save(id, {
    ...progress,
    retryBase: reasonList(progress).length,
    transient: 0,
    current: kind === 'resubmit' ? undefined : progress.current,
  });
}
