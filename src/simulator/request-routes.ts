import type { SimRequest } from './ledger.js';
import { errorReply, jsonReply, type Reply } from './http-io.js';
import { AUDIO_MIME_TYPES, servedAudioAsync } from './speech-audio.js';
import { responseUrl, statusUrl, type SimState } from './sim-state.js';
import { SECOND } from '../time.js';

type Phase = 'QUEUED' | 'PROCESSING' | 'COMPLETED' | 'FAILED';

function phaseAt(request: SimRequest, nowMs: number): Phase {
  if (nowMs < request.queuedUntilMs) return 'QUEUED';
  if (nowMs < request.completesAtMs) return 'PROCESSING';
  return request.failure === undefined ? 'COMPLETED' : 'FAILED';
}

function seconds(ms: number): number {
  return Math.round((ms / SECOND) * 100) / 100;
}

function notFound(id: string): Reply {
  return errorReply(404, `Request ${id} not found`);
}

/** The request, or the 404 for an unknown id or one past the retention (counted as expired). */
function lookup(state: SimState, id: string, nowMs: number): SimRequest | Reply {
  const request = state.ledger.get(id);
  if (!request) return notFound(id);
  if (nowMs - request.submittedAtMs > state.options.retentionS * SECOND) {
    state.ledger.counts.expired += 1;
    return notFound(id);
  }
  return request;
}

function pendingBody(state: SimState, request: SimRequest, phase: Phase): unknown {
  return {
    status: phase,
    request_id: request.id,
    status_url: statusUrl(state, request.id),
    response_url: responseUrl(state, request.id),
    metrics: {},
  };
}

function failedReply(request: SimRequest, failure: string): Reply {
  return jsonReply(422, {
    status: 'FAILED',
    error: failure,
    metrics: { queue_time: seconds(request.queueMs), inference_time: seconds(request.inferenceMs) },
    request_id: request.id,
  });
}

/** Records the first call that told the client the request had finished. */
function noteFinishedSeen(request: SimRequest, nowMs: number): void {
  request.firstSeenCompletedAtMs ??= nowMs;
}

/** `GET /v2/requests/<id>/status`. */
export function answerStatus(state: SimState, id: string, nowMs: number): Reply {
  const found = lookup(state, id, nowMs);
  if ('kind' in found) return found;
  const phase = phaseAt(found, nowMs);
  if (phase === 'QUEUED' || phase === 'PROCESSING') return jsonReply(200, pendingBody(state, found, phase));
  noteFinishedSeen(found, nowMs);
  if (found.failure !== undefined) return failedReply(found, found.failure);
  return jsonReply(200, {
    status: 'COMPLETED',
    request_id: found.id,
    metrics: { inference_time: seconds(found.inferenceMs) },
  });
}

function fileUrl(state: SimState, id: string): string {
  return `${state.baseUrl}/_sim/files/${id}.${state.options.audio}`;
}

async function outputFor(state: SimState, request: SimRequest): Promise<unknown> {
  const { audio, output } = state.options;
  switch (output) {
    case 'url':
      return fileUrl(state, request.id);
    case 'object':
      return { url: fileUrl(state, request.id) };
    case 'data-uri':
      return `data:${AUDIO_MIME_TYPES[audio]};base64,${(await servedAudioAsync(request.text, audio, request.defect)).toString('base64')}`;
    case 'base64':
      return (await servedAudioAsync(request.text, audio, request.defect)).toString('base64');
  }
}

/** `GET /v2/requests/<id>`. */
export async function answerResult(state: SimState, id: string, nowMs: number): Promise<Reply> {
  const found = lookup(state, id, nowMs);
  if ('kind' in found) return found;
  const phase = phaseAt(found, nowMs);
  if (phase === 'QUEUED' || phase === 'PROCESSING') {
    return state.options.resultWhilePending === 'status'
      ? jsonReply(200, pendingBody(state, found, phase))
      : notFound(id);
  }
  noteFinishedSeen(found, nowMs);
  if (found.failure !== undefined) return failedReply(found, found.failure);
  const remainingUsd = state.ledger.creditsRemaining(nowMs);
  return jsonReply(200, {
    status: 'COMPLETED',
    output: await outputFor(state, found),
    metrics: {
      inference_time: seconds(found.inferenceMs),
      queue_time: seconds(found.queueMs),
      total_time: seconds(found.queueMs + found.inferenceMs),
      cost: found.priceUsd,
      remaining_credits: remainingUsd ?? null,
    },
    // Model-specific extras, as the real API has: clients must not depend on a fixed key set.
    model_version: `${found.model}-preview`,
    safety_ratings: [],
  });
}

/** `GET /_sim/files/<id>.<ext>`: the CDN link; no key needed, no faults, no rate limit, no expiry. */
export async function answerDownload(state: SimState, fileName: string, nowMs: number): Promise<Reply> {
  const { audio } = state.options;
  const id = fileName.endsWith(`.${audio}`) ? fileName.slice(0, -(audio.length + 1)) : undefined;
  const request = id === undefined ? undefined : state.ledger.get(id);
  if (!request || phaseAt(request, nowMs) !== 'COMPLETED') return errorReply(404, 'File not found');
  return {
    kind: 'answer',
    status: 200,
    // Deliberately generic: clients must sniff the format from the bytes.
    contentType: 'application/octet-stream',
    body: await servedAudioAsync(request.text, audio, request.defect),
  };
}
