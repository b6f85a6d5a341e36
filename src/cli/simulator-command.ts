import { once } from 'node:events';
import { UsageError } from '../errors.js';
import { makeLogger } from '../log.js';
import {
  AUDIO_FORMATS,
  DEFAULT_SIMULATOR_OPTIONS,
  OUTPUT_SHAPES,
  RESET_PHASES,
  RESULT_WHILE_PENDING,
  RPM_COUNTS,
  VALIDATION_MODES,
  type SimulatorOptions,
} from '../simulator/options.js';
import { DEFECT_KINDS, type DefectKind } from '../simulator/defects.js';
import { startSimulator } from '../simulator/server.js';
import { defineCommand } from './command-args.js';

const HELP = `Usage: tts-batch simulator [options]

Serves Segmind's async v2 API for the Gemini TTS models on 127.0.0.1, with real audio,
modelled latency and seeded faults. GET /_sim/ledger shows what was billed and asked.

Options:
  --port N                    port to listen on; 0 picks a free one (default 4010)
  --seed N                    seed of all randomness: latencies, faults, request ids (default 1)
  --latency-scale X           multiplies modelled queue and inference times (default 1)
  --latency-sigma S           lognormal spread of the times; 0 = no noise (default 0.35)
  --latency-fixed S           every request takes exactly S seconds (times the scale) (default: modelled)
  --rate-429 P                probability a submit/status/result call answers 429 (default 0)
  --rate-5xx P                probability such a call answers 500/502/503/504 (default 0)
  --rate-reset P              probability such a call's connection is dropped (default 0)
  --reset-phase before|after  a dropped submit created nothing, or was created and billed (default before)
  --rate-failed P             probability an accepted inference ends FAILED, 422 (default 0)
  --defect-rate P             probability a completed request's audio is defective, recorded as
                              \`defect\` on its ledger submit entry (default 0)
  --defects LIST              comma-separated defects drawn from, evenly (default all):
                              truncated (cut off mid-sentence at 20-50%), silence (a 3-6 s stall
                              inside), clipped (amplified 4-8x), empty (no samples, or zeros),
                              slow (stretched 2.2-3x); with --audio mp3 only lengths change
  --rpm N                     per-API-key requests per minute, enforced with 429 (default: no limit)
  --rpm-counts all|submits    which calls count against --rpm (default all; downloads never)
  --retention S               seconds after submit before status/result answer 404 (default 3600)
  --credits N                 USD of credit, reported as x-remaining-credits on every answer and
                              metrics.remaining_credits; submit answers 406 once spent (default: unlimited)
  --api-key K                 the only key accepted; others get 401 (default: any non-empty key)
  --audio wav|pcm|mp3         audio bytes served (default wav)
  --output url|object|data-uri|base64
                              how the result carries the audio (default url)
  --validation submit|deferred
                              bad params: 400 at submit, or accepted then FAILED 422 (default submit)
  --strict-voices             gemini-3.1-flash-tts refuses its 24 undocumented voices (default off)
  --result-while-pending status|404
                              what the result URL answers before completion (default status)
  --help                      show this help

Runs until interrupted (Ctrl-C). Requests are logged at LOG_LEVEL=debug.
`;

function fail(flag: string, what: string, value: string): never {
  throw new UsageError(`Expected \`--${flag}\` to be ${what}, got \`${value}\``);
}

function number(flag: string, value: string, what: string, ok: (n: number) => boolean): number {
  const parsed = value.trim() === '' ? Number.NaN : Number(value);
  return Number.isFinite(parsed) && ok(parsed) ? parsed : fail(flag, what, value);
}

function probability(flag: string, value: string): number {
  return number(flag, value, 'a probability in [0, 1]', (n) => n >= 0 && n <= 1);
}

function nonNegative(flag: string, value: string): number {
  return number(flag, value, 'a finite number >= 0', (n) => n >= 0);
}

function integer(flag: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const what = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
  return number(flag, value, what, (n) => Number.isInteger(n) && n >= min && n <= max);
}

function choice<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  return (allowed as readonly string[]).includes(value)
    ? (value as T)
    : fail(flag, `one of ${allowed.join(', ')}`, value);
}

function defectList(flag: string, value: string): DefectKind[] {
  const kinds = value.split(',').map((kind) => kind.trim());
  return kinds.map((kind) => choice(flag, kind, DEFECT_KINDS));
}

type Flags = Partial<Record<string, string | boolean>>;

/** Turns the command line into simulator options; every bad value names its option. */
export function simulatorOptionsFromArgs(values: Flags): Partial<SimulatorOptions> {
  const options: Partial<SimulatorOptions> = {};
  const text = (flag: string): string | undefined => {
    const value = values[flag];
    return typeof value === 'string' ? value : undefined;
  };
  const set = <K extends keyof SimulatorOptions>(
    key: K,
    flag: string,
    parse: (flag: string, value: string) => SimulatorOptions[K],
  ): void => {
    const value = text(flag);
    if (value !== undefined) options[key] = parse(flag, value);
  };
  set('port', 'port', (f, v) => integer(f, v, 0, 65535));
  set('seed', 'seed', (f, v) => number(f, v, 'an integer', Number.isSafeInteger));
  set('latencyScale', 'latency-scale', nonNegative);
  set('latencySigma', 'latency-sigma', nonNegative);
  set('fixedLatencyS', 'latency-fixed', nonNegative);
  set('rate429', 'rate-429', probability);
  set('rate5xx', 'rate-5xx', probability);
  set('rateReset', 'rate-reset', probability);
  set('rateFailed', 'rate-failed', probability);
  set('defectRate', 'defect-rate', probability);
  set('defects', 'defects', defectList);
  set('resetPhase', 'reset-phase', (f, v) => choice(f, v, RESET_PHASES));
  set('rpm', 'rpm', (f, v) => integer(f, v, 1));
  set('rpmCounts', 'rpm-counts', (f, v) => choice(f, v, RPM_COUNTS));
  set('retentionS', 'retention', nonNegative);
  set('credits', 'credits', nonNegative);
  set('apiKey', 'api-key', (f, v) => (v === '' ? fail(f, 'a non-empty key', v) : v));
  set('audio', 'audio', (f, v) => choice(f, v, AUDIO_FORMATS));
  set('output', 'output', (f, v) => choice(f, v, OUTPUT_SHAPES));
  set('validation', 'validation', (f, v) => choice(f, v, VALIDATION_MODES));
  set('resultWhilePending', 'result-while-pending', (f, v) => choice(f, v, RESULT_WHILE_PENDING));
  if (values['strict-voices'] === true) options.strictVoices = true;
  return options;
}

const STRING_FLAGS = [
  'port',
  'seed',
  'latency-scale',
  'latency-sigma',
  'latency-fixed',
  'rate-429',
  'rate-5xx',
  'rate-reset',
  'reset-phase',
  'rate-failed',
  'defect-rate',
  'defects',
  'rpm',
  'rpm-counts',
  'retention',
  'credits',
  'api-key',
  'audio',
  'output',
  'validation',
  'result-while-pending',
] as const;

const OPTIONS = {
  ...Object.fromEntries(STRING_FLAGS.map((flag) => [flag, { type: 'string' as const }])),
  'strict-voices': { type: 'boolean' },
} as const;

/** `tts-batch simulator`: serves until `context.signal` aborts, then closes and exits 0. */
export const runSimulatorCommand = defineCommand(HELP, { options: OPTIONS }, async ({ values }, context) => {
  const options = simulatorOptionsFromArgs(values);
  const logger = makeLogger({
    level: context.env.LOG_LEVEL ?? 'info',
    destination: context.stderr,
    secrets: [options.apiKey],
  });
  const simulator = await startSimulator({ port: DEFAULT_SIMULATOR_OPTIONS.port, ...options, logger });
  context.stdout.write(`Segmind v2 simulator listening on ${simulator.url}\n`);
  if (!context.signal.aborted) await once(context.signal, 'abort');
  await simulator.close();
  return 0;
});
