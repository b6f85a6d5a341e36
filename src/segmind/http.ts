import {
  AmbiguousSubmitError,
  AuthError,
  BadRequestError,
  CreditsError,
  InferenceFailedError,
  ModelRetiredError,
  NetworkError,
  NotFoundError,
  RateLimitedError,
  RequestTimeoutError,
  ProtocolError,
  ServerError,
  type CallKind,
  type SegmindError,
  type SegmindErrorFields,
} from './errors.js';
import { bodyStartOf, describeBodyStart, readAnswerBody, redactKey, type AnswerBody } from './answer-body.js';
import { requestSignal, type RequestSignal } from './request-signal.js';
import { serverWaitMs, type RetryPolicy } from './retry-policy.js';

/** One HTTP request to the API (not a download). */
export type ApiRequest = {
  readonly call: Exclude<CallKind, 'download'>;
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly body?: string;
  readonly requestId?: string;
};

/** A 2xx answer: its JSON object body (`undefined` when the body is not a JSON object). */
export type ApiAnswer = {
  readonly status: number;
  readonly json: Readonly<Record<string, unknown>> | undefined;
  /** The body's first ~120 characters, the key redacted: what a `ProtocolError` quotes. */
  readonly bodyStart: string;
};

export type HttpDeps = {
  readonly fetch: typeof globalThis.fetch;
  readonly apiKey: string | undefined;
  readonly timeoutMs: number;
  /** Cap on a submit's or a status poll's body. */
  readonly maxAnswerBytes: number;
  /** Cap on a result's body, which may carry the audio inline. */
  readonly maxResultAnswerBytes: number;
  readonly policy: RetryPolicy;
  readonly now: () => number;
  readonly onCall?: ((call: CallKind, outcome: number | 'network' | 'timeout') => void) | undefined;
  /** Told of the account's remaining credits (USD) wherever an answer carries `x-remaining-credits`. */
  readonly onCredits?: ((usd: number) => void) | undefined;
};

/** The `x-remaining-credits` header as a number of USD, when present and numeric. */
export function remainingCreditsOf(headers: Headers): number | undefined {
  const raw = headers.get('x-remaining-credits')?.trim();
  if (raw === undefined || raw === '') return undefined;
  const usd = Number(raw);
  return Number.isFinite(usd) ? usd : undefined;
}

const MAX_MESSAGE_CHARS = 300;
const PRE_SEND_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

type FailureFacts = { readonly code: string | undefined; readonly beforeSend: boolean };

/** Walks `cause` chains and AggregateErrors for a code, and decides whether the failure surely preceded sending. */
export function failureFacts(error: unknown): FailureFacts {
  let code: string | undefined;
  let beforeSend = false;
  const queue: unknown[] = [error];
  for (let seen = 0; queue.length > 0 && seen < 16; seen++) {
    const current = queue.shift();
    if (!(current instanceof Error)) continue;
    const facts = current as { code?: unknown; syscall?: unknown };
    if (typeof facts.code === 'string') {
      code ??= facts.code;
      if (PRE_SEND_CODES.has(facts.code)) beforeSend = true;
    }
    if (facts.syscall === 'connect' || facts.syscall === 'getaddrinfo') beforeSend = true;
    if (current instanceof AggregateError) queue.push(...(current.errors as unknown[]));
    queue.push(current.cause);
  }
  return { code, beforeSend };
}

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_MESSAGE_CHARS ? `${flat.slice(0, MAX_MESSAGE_CHARS)}…` : flat;
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The server's own words from an error body: JSON `error`/`message`/`detail`, an HTML title, or plain text. */
export function serverMessageOf(text: string, json: Record<string, unknown> | undefined): string | undefined {
  const field = json?.error ?? json?.message ?? json?.detail;
  if (typeof field === 'string' && field.trim() !== '') return shorten(field);
  if (field !== undefined && field !== null) return shorten(JSON.stringify(field));
  if (text.trim() === '') return undefined;
  if (/<(!doctype|html|head|body)\b/i.test(text)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1];
    return shorten(title ?? text.replace(/<[^>]*>/g, ' '));
  }
  return shorten(text);
}

function errorForStatus(
  request: ApiRequest,
  status: number,
  headers: Headers,
  text: string,
  deps: HttpDeps,
): SegmindError {
  const json = parseJsonObject(text);
  const bodyId = json?.request_id;
  const requestId = typeof bodyId === 'string' ? bodyId : request.requestId;
  const rawMessage = serverMessageOf(text, json);
  const serverMessage = rawMessage === undefined ? undefined : redactKey(rawMessage, deps.apiKey);
  const retryAfterMs = serverWaitMs(headers, deps.now(), deps.policy);
  const fields: SegmindErrorFields = { call: request.call, status, requestId, serverMessage, retryAfterMs };
  const idPart = requestId === undefined ? '' : ` (request ${requestId})`;
  const message = `Segmind ${request.call} failed: HTTP ${status}${idPart}${serverMessage === undefined ? '' : `: ${serverMessage}`}`;
  if (status === 400) return new BadRequestError(message, fields);
  if (status === 401 || status === 403) return new AuthError(message, fields);
  if (status === 404) return new NotFoundError(message, { ...fields, phase: request.call });
  if (status === 406) return new CreditsError(message, fields);
  if (status === 410) return new ModelRetiredError(message, fields);
  if (status === 422) return new InferenceFailedError(message, fields);
  if (status === 429) return new RateLimitedError(message, fields);
  return new ServerError(message, fields);
}

function failureError(
  request: ApiRequest,
  error: unknown,
  timedOut: boolean,
  deps: HttpDeps,
  answered: boolean,
): SegmindError {
  const { code, beforeSend } = failureFacts(error);
  const fields = { call: request.call, requestId: request.requestId, cause: error, code };
  const what = timedOut
    ? `no answer within ${deps.timeoutMs} ms`
    : `connection failed (${code ?? 'no code'})`;
  if (request.method === 'POST' && (answered || timedOut || !beforeSend)) {
    return new AmbiguousSubmitError(
      `Segmind submit may have created a job: ${answered ? 'the answer could not be read' : what}`,
      fields,
    );
  }
  const message = `Segmind ${request.call} failed: ${what}${request.requestId === undefined ? '' : ` (request ${request.requestId})`}`;
  return timedOut
    ? new RequestTimeoutError(message, { ...fields, timeoutMs: deps.timeoutMs })
    : new NetworkError(message, fields);
}

/** A body over the cap: a `ProtocolError`, or for a submit (the POST was accepted) an `AmbiguousSubmitError` caused by one. */
function overCapError(
  request: ApiRequest,
  status: number,
  body: Extract<AnswerBody, { overCap: true }>,
  maxBytes: number,
  deps: HttpDeps,
): SegmindError {
  const bodyStart = bodyStartOf(body.head, deps.apiKey);
  const size = body.declaredBytes === undefined ? 'a body' : `Content-Length ${body.declaredBytes}`;
  const message = `protocol: ${request.call} answered ${status} with ${size} over the ${maxBytes}-byte cap; ${describeBodyStart(bodyStart)}`;
  const fields = { call: request.call, status, requestId: request.requestId };
  const protocol = new ProtocolError(message, { ...fields, bodyStart });
  if (request.method !== 'POST') return protocol;
  return new AmbiguousSubmitError(`Segmind submit may have created a job: ${message}`, {
    ...fields,
    cause: protocol,
  });
}

/**
 * Sends one request with the key and a per-request timeout, reads the body within its cap, and maps
 * every failure to a `SegmindError`. A POST that may have reached the server becomes an
 * `AmbiguousSubmitError`. The caller's `signal` ends a GET (rethrown as its reason) but a POST only
 * before it is handed to fetch: once it may have left, it runs to its answer or its own timeout,
 * since a job may be billed and its id is in the answer. No retries here.
 */
export async function sendOnce(
  request: ApiRequest,
  deps: HttpDeps,
  signal?: AbortSignal,
): Promise<ApiAnswer> {
  signal?.throwIfAborted();
  const caller = request.method === 'GET' ? signal : undefined;
  const timeout = requestSignal(caller, deps.timeoutMs);
  try {
    return await sendWithin(request, deps, caller, timeout);
  } finally {
    timeout.dispose();
  }
}

async function sendWithin(
  request: ApiRequest,
  deps: HttpDeps,
  caller: AbortSignal | undefined,
  timeout: RequestSignal,
): Promise<ApiAnswer> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (deps.apiKey !== undefined) headers['x-api-key'] = deps.apiKey;
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    const init: RequestInit = { method: request.method, headers, redirect: 'manual', signal: timeout.signal };
    if (request.body !== undefined) init.body = request.body;
    response = await deps.fetch(request.url, init);
  } catch (error) {
    if (caller?.aborted === true) throw caller.reason;
    deps.onCall?.(request.call, timeout.timedOut ? 'timeout' : 'network');
    throw failureError(request, error, timeout.timedOut, deps, false);
  }
  deps.onCall?.(request.call, response.status);
  const creditsUsd = remainingCreditsOf(response.headers);
  if (creditsUsd !== undefined) deps.onCredits?.(creditsUsd);
  const maxBytes = request.call === 'result' ? deps.maxResultAnswerBytes : deps.maxAnswerBytes;
  let body: AnswerBody;
  try {
    body = await readAnswerBody(response, maxBytes);
  } catch (error) {
    if (caller?.aborted === true) throw caller.reason;
    if (!response.ok) throw errorForStatus(request, response.status, response.headers, '', deps);
    throw failureError(request, error, timeout.timedOut, deps, true);
  }
  const text = body.overCap ? body.head : body.text;
  if (!response.ok) throw errorForStatus(request, response.status, response.headers, text, deps);
  if (body.overCap) throw overCapError(request, response.status, body, maxBytes, deps);
  return { status: response.status, json: parseJsonObject(text), bodyStart: bodyStartOf(text, deps.apiKey) };
}
