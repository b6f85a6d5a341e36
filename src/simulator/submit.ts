import {
  DEFAULT_TEMPERATURE,
  GEMINI_VOICES,
  isModelSlug,
  MODELS,
  type ModelSlug,
} from '../segmind/models.js';
import { drawDefect } from './defects.js';
import { drawFailure } from './faults.js';
import { errorReply, jsonReply, RESET, type Reply } from './http-io.js';
import { sampleLatency } from './latency-model.js';
import { seededNormal, seededUuid, sha256Hex } from './random.js';
import { responseUrl, statusUrl, type SimState } from './sim-state.js';

/** A submit body as the ledger records it, whether or not it is valid. */
type SubmitParams = {
  readonly text: string;
  readonly temperature: number;
  readonly voice1: string | null;
  readonly voice2: string | null;
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The key under which a submit's faults are drawn: the SHA-256 of its text, so that the nth
 * attempt at a given text meets the same fate however other clients' calls interleave.
 */
export function submitFaultKey(body: Buffer): string {
  const json = parseJson(body);
  if (isRecord(json) && typeof json.text === 'string') return sha256Hex(json.text);
  return sha256Hex(body);
}

function acceptedVoices(model: ModelSlug, strictVoices: boolean): readonly string[] {
  return strictVoices ? MODELS[model].documentedVoices : GEMINI_VOICES;
}

/** The params as far as they can be read, and the first problem with them, if any. */
function readParams(
  model: ModelSlug,
  json: Record<string, unknown>,
  strictVoices: boolean,
): { params: SubmitParams; problem: string | undefined } {
  const { text, temperature, voice_1: voice1, voice_2: voice2 } = json;
  const params: SubmitParams = {
    text: typeof text === 'string' ? text : '',
    temperature: typeof temperature === 'number' ? temperature : DEFAULT_TEMPERATURE,
    voice1: typeof voice1 === 'string' ? voice1 : null,
    voice2: typeof voice2 === 'string' ? voice2 : null,
  };
  const voices = acceptedVoices(model, strictVoices);
  const voiceProblem = (name: string, value: unknown): string | undefined => {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || !voices.includes(value)) {
      return `Invalid ${name} ${JSON.stringify(value)}: not a voice of ${model}`;
    }
    return undefined;
  };
  let problem: string | undefined;
  if (typeof text !== 'string' || text.trim() === '') {
    problem = text === undefined ? 'Missing required parameter: text' : 'text must be a non-empty string';
  } else if (
    temperature !== undefined &&
    (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature < 0 || temperature > 2)
  ) {
    problem = `temperature must be a number between 0 and 2, got ${JSON.stringify(temperature)}`;
  } else {
    problem = voiceProblem('voice_1', voice1) ?? voiceProblem('voice_2', voice2);
  }
  return { params, problem };
}

export type SubmitCall = {
  readonly slug: string;
  readonly body: Buffer;
  /** `submitFaultKey(body)` and the ordinal of this attempt under it: they seed the request id. */
  readonly key: string;
  readonly n: number;
  /** Create (and bill) the job, then drop the connection without answering. */
  readonly resetAfterCreate: boolean;
};

/** `POST /v2/{slug}` once authentication, rate limits and faults before the handler have passed. */
export function handleSubmit(state: SimState, call: SubmitCall): Reply {
  const { options, ledger } = state;
  const { slug, body } = call;
  const json = parseJson(body);
  if (!isRecord(json)) return errorReply(400, 'Request body must be a JSON object');
  if (!isModelSlug(slug)) return errorReply(404, `Model ${slug} not found`);
  const { params, problem } = readParams(slug, json, options.strictVoices);
  if (problem !== undefined && options.validation === 'submit') return errorReply(400, problem);

  const nowMs = options.now();
  const priceUsd = MODELS[slug].pricePerCallUsd;
  const remainingUsd = ledger.creditsRemaining(nowMs);
  if (remainingUsd !== undefined && remainingUsd < priceUsd) {
    ledger.counts.insufficient_credits += 1;
    return errorReply(406, 'Insufficient credits');
  }

  const textSha256 = sha256Hex(params.text);
  const id = seededUuid(options.seed, 'request-id', call.key, call.n);
  const latency = sampleLatency(slug, [...params.text].length, options, [
    seededNormal(options.seed, 'queue-time', id),
    seededNormal(options.seed, 'inference-time', id),
  ]);
  // Whole milliseconds, as the ledger reports them.
  const queuedUntilMs = Math.round(nowMs + latency.queueMs);
  const failure = problem ?? drawFailure(options.seed, options.rateFailed, id);
  const defect =
    failure === undefined ? drawDefect(options.seed, options.defectRate, options.defects, id) : undefined;
  ledger.add({
    id,
    model: slug,
    text: params.text,
    submittedAtMs: nowMs,
    queuedUntilMs,
    completesAtMs: Math.round(queuedUntilMs + latency.inferenceMs),
    queueMs: latency.queueMs,
    inferenceMs: latency.inferenceMs,
    failure,
    defect,
    priceUsd,
    firstSeenCompletedAtMs: null,
    statusCalls: 0,
    resultCalls: 0,
  });
  ledger.submits.push({
    request_id: id,
    text_sha256: textSha256,
    model: slug,
    voice_1: params.voice1,
    voice_2: params.voice2,
    temperature: params.temperature,
    at: new Date(nowMs).toISOString(),
    ...(defect === undefined ? {} : { defect: defect.kind }),
  });
  // The job exists and will be billed; the client just never hears of it.
  if (call.resetAfterCreate) return RESET;
  return jsonReply(200, {
    request_id: id,
    status: 'QUEUED',
    poll_url: statusUrl(state, id),
    status_url: statusUrl(state, id),
    response_url: responseUrl(state, id),
  });
}
