import { setTimeout as delay } from 'node:timers/promises';
import type { SubmittedRequest } from '../queue/row-job.js';
import { STALE_TEMP_MS } from '../output/run-files.js';
import type { AudioTarget, SavedAudioFile } from './audio-file.js';
import { hostKind } from './download-guard.js';
import { parseResultAnswer, parseStatusAnswer, parseSubmitAnswer } from './answers.js';
import { ProtocolError, type CallKind } from './errors.js';
import { sendOnce, type ApiAnswer, type ApiRequest, type HttpDeps } from './http.js';
import type { ModelSlug } from './models.js';
import { shouldRetryInPlace } from './retry-in-place.js';
import { resolveRetryPolicy, retryDelayMs, type RetryPolicy } from './retry-policy.js';
import { saveAudioOutput } from './save-audio.js';

export type { CallKind } from './errors.js';
export type { AudioTarget, SavedAudioFile } from './audio-file.js';

/** How to reach Segmind, and the hooks through which the worker shares one request budget. */
export type SegmindClientOptions = {
  /** e.g. `http://127.0.0.1:4010` (the simulator) or `https://api.segmind.com`. */
  baseUrl: string;
  /** Sent as `x-api-key` on submit, status and result; never on downloads, never in errors or logs. */
  apiKey: string | undefined;
  /** Injectable; default the global fetch (Node's undici). */
  fetch?: typeof globalThis.fetch;
  /** Per request, default 30 000. A submit that gets no answer within it is an `AmbiguousSubmitError`. */
  requestTimeoutMs?: number;
  /** Cap on a submit's or a status poll's body, default 1 MiB. Over it: `ProtocolError` (submit: `AmbiguousSubmitError`). */
  maxAnswerBytes?: number;
  /** Cap on a result's body, default 64 MiB (it may carry the audio inline, base64). */
  maxResultAnswerBytes?: number;
  retry?: Partial<RetryPolicy>;
  /** Jitter source, default Math.random. */
  random?: () => number;
  /** Default: node:timers/promises setTimeout with the signal. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Awaited before EVERY HTTP request to the API, including retries (not downloads): the worker's shared request budget, and where a fleet hold is waited out. */
  beforeRequest?: (call: CallKind, signal?: AbortSignal) => Promise<void>;
  /**
   * Told of every 429 (also of a last one it will not retry) with the server's wait, or the computed
   * backoff, so that the worker holds the whole fleet. When given, the client does not sleep on a 429
   * itself: its retry waits in `beforeRequest` like every other call. Without it, the client sleeps.
   */
  onRateLimited?: ((waitMs: number, call: CallKind) => void | Promise<void>) | undefined;
  /** Told of every HTTP attempt's outcome (for counting calls), downloads included. */
  onCall?: (call: CallKind, outcome: number | 'network' | 'timeout') => void;
  /**
   * Told of the account's remaining credits (USD) wherever an answer reports them: the
   * `x-remaining-credits` header of any answer, and `metrics.remaining_credits` of a status or result.
   */
  onCredits?: (usd: number) => void;
  /** Default 200 MiB; applies to inline (base64) audio too. Downloads are streamed to disk, never held whole. */
  downloadMaxBytes?: number;
  /** For the whole download, body included. Default 120 000. */
  downloadTimeoutMs?: number;
  /** Default 3. */
  maxRedirects?: number;
  /** Allow http: downloads from loopback hosts. Default: true iff baseUrl's host is loopback (127.0.0.0/8, localhost, ::1). */
  allowLoopbackDownloads?: boolean;
};

/** A submit's answer. Store `requestId` and the URLs durably before anything else. */
export type SubmitAnswer = { requestId: string; statusUrl: string; responseUrl: string; status: string };
/** What the API reports of an inference; every field is optional because none is guaranteed. */
export type InferenceMetrics = {
  inferenceTimeS?: number;
  queueTimeS?: number;
  totalTimeS?: number;
  cost?: number;
  remainingCredits?: number;
};
/** A status poll's answer. A FAILED inference is thrown as `InferenceFailedError`. */
export type StatusAnswer = {
  state: 'QUEUED' | 'PROCESSING' | 'COMPLETED';
  requestId: string;
  metrics: InferenceMetrics;
};
/** A result's answer; `raw` is the whole body (extra keys included). */
export type ResultAnswer =
  | { state: 'COMPLETED'; output: unknown; metrics: InferenceMetrics; raw: Readonly<Record<string, unknown>> }
  | { state: 'QUEUED' | 'PROCESSING' };

/** The Segmind async v2 API, with GETs (and provably unsent POSTs) retried per the policy. */
export type SegmindClient = {
  submit(
    model: ModelSlug,
    params: { text: string; voice_1?: string; voice_2?: string; temperature?: number },
    signal?: AbortSignal,
  ): Promise<SubmitAnswer>;
  status(
    request: Pick<SubmittedRequest, 'requestId' | 'statusUrl'>,
    signal?: AbortSignal,
  ): Promise<StatusAnswer>;
  result(
    request: Pick<SubmittedRequest, 'requestId' | 'responseUrl'>,
    signal?: AbortSignal,
  ): Promise<ResultAnswer>;
  /**
   * Saves a result's `output` (URL string, `{url}`, data URI, bare base64) to `{dir}/{name}.{wav|mp3}`
   * atomically, streaming a download to disk; headerless PCM becomes a WAV. Overlapping writers of the
   * same row each use their own temporary file; nothing is left behind on failure.
   */
  saveAudio(output: unknown, target: AudioTarget, signal?: AbortSignal): Promise<SavedAudioFile>;
};

async function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, signal === undefined ? {} : { signal });
  } catch (error) {
    if (signal?.aborted === true) throw signal.reason;
    throw error;
  }
}

function checkPositive(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
    throw new RangeError(`Expected \`${name}\` to be a finite number > 0, got \`${value}\``);
  }
}

/** Creates a client. Options are checked here; nothing is sent until a method is called. */
export function makeSegmindClient(options: SegmindClientOptions): SegmindClient {
  const policy = resolveRetryPolicy(options.retry);
  checkPositive('requestTimeoutMs', options.requestTimeoutMs);
  checkPositive('maxAnswerBytes', options.maxAnswerBytes);
  checkPositive('maxResultAnswerBytes', options.maxResultAnswerBytes);
  checkPositive('downloadMaxBytes', options.downloadMaxBytes);
  checkPositive('downloadTimeoutMs', options.downloadTimeoutMs);
  if (
    options.maxRedirects !== undefined &&
    !(Number.isInteger(options.maxRedirects) && options.maxRedirects >= 0)
  ) {
    throw new RangeError(`Expected \`maxRedirects\` to be an integer >= 0, got \`${options.maxRedirects}\``);
  }
  const base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
  const baseIsLoopback = hostKind(base.hostname) === 'loopback';
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? defaultSleep;
  const deps: HttpDeps = {
    fetch: fetchImpl,
    apiKey: options.apiKey,
    timeoutMs: options.requestTimeoutMs ?? 30_000,
    maxAnswerBytes: options.maxAnswerBytes ?? 1024 * 1024,
    maxResultAnswerBytes: options.maxResultAnswerBytes ?? 64 * 1024 * 1024,
    policy,
    now: Date.now,
    onCall: options.onCall,
    onCredits: options.onCredits,
  };
  const noteCredits = (metrics: InferenceMetrics) => {
    if (metrics.remainingCredits !== undefined) options.onCredits?.(metrics.remainingCredits);
  };
  const download = {
    fetch: fetchImpl,
    maxBytes: options.downloadMaxBytes ?? 200 * 1024 * 1024,
    timeoutMs: options.downloadTimeoutMs ?? 120_000,
    maxRedirects: options.maxRedirects ?? 3,
    allowLoopback: options.allowLoopbackDownloads ?? baseIsLoopback,
    onOutcome: (outcome: number | 'network' | 'timeout') => options.onCall?.('download', outcome),
  };

  // A live writer's temporary file is never older than its download's timeout.
  const saveDeps = { download, staleTempMs: download.timeoutMs + STALE_TEMP_MS };

  async function send(request: ApiRequest, signal?: AbortSignal): Promise<ApiAnswer> {
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      await options.beforeRequest?.(request.call, signal);
      try {
        return await sendOnce(request, deps, signal);
      } catch (error) {
        const retry = shouldRetryInPlace(error, request.method, attempt, policy);
        if (!retry.inPlace && !retry.rateLimited) throw error;
        const waitMs = retryDelayMs(attempt, retry.serverWaitMs, policy, random);
        if (retry.rateLimited && options.onRateLimited !== undefined) {
          await options.onRateLimited(waitMs, request.call);
          if (retry.inPlace) continue;
        }
        if (!retry.inPlace) throw error;
        await sleep(waitMs, signal);
      }
    }
  }

  /** Resolves a URL the API gave, refusing to send the key to any host but the API's own. */
  function apiUrl(url: string, call: CallKind, requestId: string): string {
    const resolved = new URL(url, base);
    const sameHost =
      resolved.hostname === base.hostname || (baseIsLoopback && hostKind(resolved.hostname) === 'loopback');
    const schemeOk =
      resolved.protocol === 'https:' || (resolved.protocol === 'http:' && base.protocol === 'http:');
    if (!sameHost || !schemeOk) {
      throw new ProtocolError(
        `Segmind ${call}: refusing to send the API key to ${resolved.origin} (request ${requestId})`,
        {
          call,
          requestId,
        },
      );
    }
    return resolved.href;
  }

  return {
    async submit(model, params, signal) {
      const fields = Object.entries(params).filter(([, value]) => value !== undefined);
      const url = new URL(`v2/${model}`, base).href;
      const body = JSON.stringify(Object.fromEntries(fields));
      return parseSubmitAnswer(await send({ call: 'submit', method: 'POST', url, body }, signal), base);
    },

    async status(request, signal) {
      const url = apiUrl(request.statusUrl, 'status', request.requestId);
      const answer = await send({ call: 'status', method: 'GET', url, requestId: request.requestId }, signal);
      const status = parseStatusAnswer(answer, request.requestId);
      noteCredits(status.metrics);
      return status;
    },

    async result(request, signal) {
      const url = apiUrl(request.responseUrl, 'result', request.requestId);
      const answer = await send({ call: 'result', method: 'GET', url, requestId: request.requestId }, signal);
      const result = parseResultAnswer(answer, request.requestId);
      if (result.state === 'COMPLETED') noteCredits(result.metrics);
      return result;
    },

    saveAudio(output, target, signal) {
      return saveAudioOutput(output, target, saveDeps, signal);
    },
  };
}
