import { UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import { DEFECT_KINDS, type DefectKind } from './defects.js';

export const AUDIO_FORMATS = ['wav', 'pcm', 'mp3'] as const;
export type AudioFormat = (typeof AUDIO_FORMATS)[number];
export const OUTPUT_SHAPES = ['url', 'object', 'data-uri', 'base64'] as const;
export type OutputShape = (typeof OUTPUT_SHAPES)[number];
export const RESET_PHASES = ['before', 'after'] as const;
export const RPM_COUNTS = ['all', 'submits'] as const;
export const VALIDATION_MODES = ['submit', 'deferred'] as const;
export const RESULT_WHILE_PENDING = ['status', '404'] as const;

/** How the simulator behaves; every field has a default (see `DEFAULT_SIMULATOR_OPTIONS`). */
export type SimulatorOptions = {
  /** Interface to listen on. Default '127.0.0.1'. */
  host: string;
  /** Default 4010; 0 picks a free port. */
  port: number;
  /** Default 1. All randomness (latency, faults, request ids) derives from it, so a run replays exactly. */
  seed: number;
  /** Default 1. Multiplies queue and inference times (and the wait advertised by random 429s). */
  latencyScale: number;
  /** Default 0.35. Lognormal spread of queue and inference times; 0 = no noise (benchmarks). */
  latencySigma: number;
  /** If set, every request takes exactly this many seconds (times `latencyScale`), queue time 0. */
  fixedLatencyS: number | undefined;
  /** Probability that a submit, status or result call is answered 429. Default 0. */
  rate429: number;
  /** Probability that such a call is answered 500, 502, 503 or 504. Default 0. */
  rate5xx: number;
  /** Probability that such a call's connection is destroyed without an answer. Default 0. */
  rateReset: number;
  /** Probability that an accepted inference ends FAILED (422, not billed). Default 0. */
  rateFailed: number;
  /**
   * Probability that a COMPLETED request's audio is defective (one of `defects`, drawn per request
   * id; the ledger's submit entry names it in `defect`). Default 0.
   */
  defectRate: number;
  /** The defects `defectRate` draws from, evenly. Default all of `DEFECT_KINDS`. */
  defects: readonly DefectKind[];
  /** Default 'before': a dropped submit created nothing; 'after': the job was created and billed first. */
  resetPhase: 'before' | 'after';
  /** Per-API-key requests per minute (sliding 60 s window, not scaled) enforced with 429. Default none. */
  rpm: number | undefined;
  /** Default 'all': submits, status and result calls count against `rpm`; downloads never do. */
  rpmCounts: 'all' | 'submits';
  /** Default 3600. Status and result answer 404 this many seconds after submission (not scaled). */
  retentionS: number;
  /** USD. Each COMPLETED inference costs its model's price; once remaining < price, submit answers 406. */
  credits: number | undefined;
  /** If set, any other or missing `x-api-key` is answered 401. A missing key is always 401. */
  apiKey: string | undefined;
  /** Bytes served: default 'wav' (RIFF), 'pcm' (headerless) or 'mp3' (MPEG-2 Layer III frames). */
  audio: AudioFormat;
  /** How the result carries the audio. Default 'url'. */
  output: OutputShape;
  /** Default 'submit': bad params are 400 at submit; 'deferred': accepted, then FAILED (422). */
  validation: 'submit' | 'deferred';
  /** Default false; true: gemini-3.1-flash-tts refuses the 24 voices Segmind does not document for it. */
  strictVoices: boolean;
  /** Default 'status': the result URL answers like status until completion; '404': it answers 404. */
  resultWhilePending: 'status' | '404';
  /** Clock in ms since the epoch. Default `Date.now`. */
  now: () => number;
  /** Receives one debug line per request, if given. */
  logger?: Logger;
};

export const DEFAULT_SIMULATOR_OPTIONS = {
  host: '127.0.0.1',
  port: 4010,
  seed: 1,
  latencyScale: 1,
  latencySigma: 0.35,
  fixedLatencyS: undefined,
  rate429: 0,
  rate5xx: 0,
  rateReset: 0,
  rateFailed: 0,
  defectRate: 0,
  defects: DEFECT_KINDS,
  resetPhase: 'before',
  rpm: undefined,
  rpmCounts: 'all',
  retentionS: 3600,
  credits: undefined,
  apiKey: undefined,
  audio: 'wav',
  output: 'url',
  validation: 'submit',
  strictVoices: false,
  resultWhilePending: 'status',
  now: Date.now,
} as const satisfies SimulatorOptions;

function expect(ok: boolean, name: string, what: string, value: unknown): void {
  if (!ok) throw new UsageError(`Expected \`${name}\` to be ${what}, got \`${String(value)}\``);
}

function isProbability(value: number): boolean {
  return Number.isFinite(value) && value >= 0 && value <= 1;
}

function isNonNegative(value: number): boolean {
  return Number.isFinite(value) && value >= 0;
}

/** Fills in defaults and refuses values the simulator cannot honour, naming the option and the value. */
export function resolveSimulatorOptions(options: Partial<SimulatorOptions> = {}): SimulatorOptions {
  const resolved: SimulatorOptions = { ...DEFAULT_SIMULATOR_OPTIONS, ...options };
  const { port, latencyScale, latencySigma, fixedLatencyS, rpm, retentionS, credits } = resolved;
  expect(Number.isInteger(port) && port >= 0 && port <= 65535, 'port', 'an integer in [0, 65535]', port);
  expect(Number.isSafeInteger(resolved.seed), 'seed', 'an integer', resolved.seed);
  expect(isNonNegative(latencyScale), 'latencyScale', 'a finite number >= 0', latencyScale);
  expect(isNonNegative(latencySigma), 'latencySigma', 'a finite number >= 0', latencySigma);
  if (fixedLatencyS !== undefined) {
    expect(isNonNegative(fixedLatencyS), 'fixedLatencyS', 'a finite number >= 0', fixedLatencyS);
  }
  for (const name of ['rate429', 'rate5xx', 'rateReset', 'rateFailed', 'defectRate'] as const) {
    expect(isProbability(resolved[name]), name, 'a probability in [0, 1]', resolved[name]);
  }
  const unknownDefect = resolved.defects.find((kind) => !DEFECT_KINDS.includes(kind));
  expect(unknownDefect === undefined, 'defects', `made of ${DEFECT_KINDS.join(', ')}`, unknownDefect);
  expect(resolved.defects.length > 0, 'defects', 'a non-empty list', '');
  if (rpm !== undefined) expect(Number.isInteger(rpm) && rpm >= 1, 'rpm', 'an integer >= 1', rpm);
  expect(isNonNegative(retentionS), 'retentionS', 'a finite number >= 0', retentionS);
  if (credits !== undefined) expect(isNonNegative(credits), 'credits', 'a finite number >= 0', credits);
  const choices = [
    ['resetPhase', RESET_PHASES],
    ['rpmCounts', RPM_COUNTS],
    ['audio', AUDIO_FORMATS],
    ['output', OUTPUT_SHAPES],
    ['validation', VALIDATION_MODES],
    ['resultWhilePending', RESULT_WHILE_PENDING],
  ] as const;
  for (const [name, allowed] of choices) {
    const value: string = resolved[name];
    expect((allowed as readonly string[]).includes(value), name, `one of ${allowed.join(', ')}`, value);
  }
  return resolved;
}
