import type { InferenceMetrics, ResultAnswer, StatusAnswer, SubmitAnswer } from './client.js';
import { AmbiguousSubmitError, InferenceFailedError, ProtocolError } from './errors.js';
import { describeBodyStart } from './answer-body.js';
import type { ApiAnswer } from './http.js';

type Json = Readonly<Record<string, unknown>> | undefined;

function numberOf(value: unknown): number | undefined {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) ? number : undefined;
}

function stringField(json: Json, key: string): string | undefined {
  const value = json?.[key];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Reads the documented metric keys, ignoring any that are missing or not numbers. */
export function parseMetrics(value: unknown): InferenceMetrics {
  if (value === null || typeof value !== 'object') return {};
  const record = value as Record<string, unknown>;
  const metrics: InferenceMetrics = {};
  const pairs = [
    ['inferenceTimeS', 'inference_time'],
    ['queueTimeS', 'queue_time'],
    ['totalTimeS', 'total_time'],
    ['cost', 'cost'],
    ['remainingCredits', 'remaining_credits'],
  ] as const;
  for (const [name, key] of pairs) {
    const number = numberOf(record[key]);
    if (number !== undefined) metrics[name] = number;
  }
  return metrics;
}

/** `protocol: {call} answered {status} {what}[ (request id)]; body starts "…"`, with the body's start kept as data. */
function protocolError(
  call: 'submit' | 'status' | 'result',
  answer: ApiAnswer,
  what: string,
  requestId?: string,
): ProtocolError {
  const notJson = answer.json === undefined ? ' (the body is not a JSON object)' : '';
  const idPart = requestId === undefined ? '' : ` (request ${requestId})`;
  const message = `protocol: ${call} answered ${answer.status} ${what}${notJson}${idPart}; ${describeBodyStart(answer.bodyStart)}`;
  return new ProtocolError(message, { call, status: answer.status, requestId, bodyStart: answer.bodyStart });
}

/**
 * A submit's 200. Without a `request_id` a job may exist that cannot be polled: `AmbiguousSubmitError`
 * caused by a `ProtocolError`. Missing URLs are built from the documented layout; relative ones are
 * resolved against `base`.
 */
export function parseSubmitAnswer(answer: ApiAnswer, base: URL): SubmitAnswer {
  const requestId = stringField(answer.json, 'request_id');
  if (requestId === undefined) {
    const cause = protocolError('submit', answer, 'without request_id');
    throw new AmbiguousSubmitError(`Segmind submit may have created a job: ${cause.message}`, {
      call: 'submit',
      status: answer.status,
      cause,
    });
  }
  const statusUrl = stringField(answer.json, 'status_url') ?? `v2/requests/${requestId}/status`;
  const responseUrl = stringField(answer.json, 'response_url') ?? `v2/requests/${requestId}`;
  return {
    requestId,
    statusUrl: new URL(statusUrl, base).href,
    responseUrl: new URL(responseUrl, base).href,
    status: stringField(answer.json, 'status') ?? 'QUEUED',
  };
}

function failed(call: 'status' | 'result', answer: ApiAnswer, requestId: string): InferenceFailedError {
  const serverMessage = stringField(answer.json, 'error');
  const detail = serverMessage === undefined ? '' : `: ${serverMessage}`;
  return new InferenceFailedError(`Segmind ${call}: inference FAILED (request ${requestId})${detail}`, {
    call,
    status: answer.status,
    requestId,
    serverMessage,
  });
}

/** A status poll's 200: QUEUED, PROCESSING or COMPLETED; FAILED throws `InferenceFailedError`; anything else `ProtocolError`. */
export function parseStatusAnswer(answer: ApiAnswer, knownRequestId: string): StatusAnswer {
  const state = stringField(answer.json, 'status')?.toUpperCase();
  const requestId = stringField(answer.json, 'request_id') ?? knownRequestId;
  if (state === 'QUEUED' || state === 'PROCESSING' || state === 'COMPLETED') {
    return { state, requestId, metrics: parseMetrics(answer.json?.metrics) };
  }
  if (state === 'FAILED') throw failed('status', answer, requestId);
  const what = state === undefined ? 'without status' : `with status ${JSON.stringify(state)}`;
  throw protocolError('status', answer, what, requestId);
}

/** A result's 200: COMPLETED with an `output` (any extra keys kept in `raw`), a pending status, or FAILED. */
export function parseResultAnswer(answer: ApiAnswer, knownRequestId: string): ResultAnswer {
  const json = answer.json;
  const state = stringField(json, 'status')?.toUpperCase();
  const requestId = stringField(json, 'request_id') ?? knownRequestId;
  if (state === 'QUEUED' || state === 'PROCESSING') return { state };
  if (state === 'FAILED') throw failed('result', answer, requestId);
  const output = json?.output;
  if (state !== undefined && state !== 'COMPLETED') {
    throw protocolError('result', answer, `with status ${JSON.stringify(state)}`, requestId);
  }
  if (json === undefined || output === undefined || output === null) {
    throw protocolError('result', answer, 'without output', requestId);
  }
  return { state: 'COMPLETED', output, metrics: parseMetrics(json.metrics), raw: json };
}
