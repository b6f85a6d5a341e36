import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { ConfigError } from './errors.js';
import { CHUNK_CAP_CHARS, DEFAULT_CHUNK_CHARS, MIN_CHUNK_CHARS } from './book/chunk-limits.js';
import { isMasterProfile, MASTER_PROFILES, type MasterProfile } from './master/acx-spec.js';
import { checkClusterPrefix, parseClusterNodes, type RedisTarget } from './redis/redis-target.js';
import { parseQaThresholds, type QaThresholds } from './qa/thresholds.js';
import { isModelSlug, MODELS, type ModelSlug } from './segmind/models.js';
import { MILLISECOND, MINUTE, SECOND } from './time.js';

/** How the worker spaces its status polls. `adaptive` is the default; the others are for comparison. */
export const POLL_SCHEDULES = ['adaptive', 'fixed', 'exponential'] as const;
export type PollScheduleName = (typeof POLL_SCHEDULES)[number];

/** Everything the product reads from the environment (and `.env`). The only reader of `process.env`. */
export type Settings = RedisTarget & {
  /** Never logged, never stored in Redis or the manifest. */
  readonly segmindApiKey: string | undefined;
  readonly segmindBaseUrl: string;
  readonly outDir: string;
  /** Rows in flight per worker process. */
  readonly concurrency: number;
  /** API requests per minute shared by every worker (submits, polls and result fetches). */
  readonly segmindRpm: number;
  readonly queuePrefix: string;
  readonly logLevel: string;
  readonly pollSchedule: PollScheduleName;
  /** Interval of the `fixed` poll schedule. */
  readonly pollIntervalMs: number;
  /** Per-request timeout of every API call. */
  readonly requestTimeoutMs: number;
  /** Longest text a row may have, in characters (longer than the chunk size: sent in parts). */
  readonly maxChars: number;
  /** Row defaults below the CLI flags and above the model's own. */
  readonly defaultModel: ModelSlug | undefined;
  readonly defaultVoice: string | undefined;
  readonly defaultVoice2: string | undefined;
  readonly defaultTemperature: number | undefined;
  /** Price per call by model, USD. */
  readonly pricesUsd: Readonly<Record<ModelSlug, number>>;
  /** How long a stopping worker waits for in-flight rows before handing them back. */
  readonly shutdownGraceMs: number;
  /** BullMQ job lock: a killed worker's rows go back to the queue after about this long. */
  readonly lockDurationMs: number;
  /** A request without a result this long after its submit is resubmitted once, then its row fails (`TTS_ROW_DEADLINE_MS`). */
  readonly rowDeadlineMs: number;
  /** Transient failures (5xx, network, disk) in a row before a row fails (`TTS_ROW_TRANSIENT_FAILURES`). */
  readonly rowTransientFailures: number;
  /** Consecutive answers of an undocumented shape, fleet-wide, before the fleet halts (`TTS_MAX_PROTOCOL_ERRORS`). */
  readonly maxProtocolErrors: number;
  /** Retries of one API call in place (429, 5xx, network) before the row sees the failure (`TTS_HTTP_RETRIES`). */
  readonly httpRetries: number;
  /** How long a starting worker waits for an unreachable Redis before it exits 1; 0: as long as it takes (`TTS_REDIS_WAIT_MS`). */
  readonly redisWaitMs: number;
  /** Accept a Redis whose maxmemory-policy may evict the run's keys (`TTS_ALLOW_EVICTION=1`). */
  readonly allowEviction: boolean;
  /** Whether `REDIS_URL` was given (the demo starts its own Redis only when it was not). */
  readonly redisUrlConfigured: boolean;
  /** `host:port` the demo tries before starting a redis-server of its own (`TTS_DEMO_REDIS_PROBE`). */
  readonly demoRedisProbe: string;
  /** Interface the dashboard listens on (`TTS_DASHBOARD_HOST`); loopback unless exposed on purpose. */
  readonly dashboardHost: string;
  /** Port of the dashboard (`TTS_DASHBOARD_PORT`, overridden by `--port`). */
  readonly dashboardPort: number;
  /** Basic auth of the dashboard, on when both are set (`TTS_DASHBOARD_USER`, `TTS_DASHBOARD_PASSWORD`). */
  readonly dashboardUser: string | undefined;
  readonly dashboardPassword: string | undefined;
  /** Target size of a book's chunks, in speech-weighted characters, at most 2,000 (`TTS_CHUNK_CHARS`). */
  readonly chunkChars: number;
  /** Below this many USD of the account's remaining credits the fleet halts before the API answers 406; 0: off (`TTS_MIN_CREDITS_USD`). */
  readonly minCreditsUsd: number;
  /** A new run's budget in USD when enqueue is given no `--budget` (`TTS_BUDGET_USD`); undefined: none. */
  readonly budgetUsd: number | undefined;
  /** The clip checks' limits: the defaults with `TTS_QA_THRESHOLDS`'s JSON overrides (src/qa/thresholds.ts). */
  readonly qaThresholds: QaThresholds;
  /** Master a new run's chapters when enqueue is given no `--master` (`TTS_MASTER`: `acx`, or `none`). */
  readonly master: MasterProfile | undefined;
  /** How long a row held by its run's budget or window waits before trying again (`TTS_HOLD_RECHECK_MS`). */
  readonly holdRecheckMs: number;
  /** Re-takes of a clip that fails its checks, each a counted submit (`TTS_QA_RETAKES`). */
  readonly qaRetakes: number;
  /** Webhook for run events, signed as Standard Webhooks (`TTS_NOTIFY_URL`). */
  readonly notifyUrl: string | undefined;
  /** Its secret, `whsec_<base64>` or raw text (`TTS_NOTIFY_SECRET`). */
  readonly notifySecret: string | undefined;
  /** A shell command run for each run event, with the facts in its environment (`TTS_NOTIFY_CMD`). */
  readonly notifyCommand: string | undefined;
  /** ffmpeg to use for the audiobook (`TTS_FFMPEG`, a path); else `ffmpeg` on PATH, else the npm package's. */
  readonly ffmpegPath: string | undefined;
  /** Chapter assembly, fixed per run at enqueue: silence after a spoken chapter title (`TTS_PAUSE_TITLE_MS`). */
  readonly pauseTitleMs: number;
  /** Silence between two chunks of a chapter (`TTS_PAUSE_PARAGRAPH_MS`). */
  readonly pauseParagraphMs: number;
  /** Silence between two chapters of the audiobook (`TTS_PAUSE_CHAPTER_MS`). */
  readonly pauseChapterMs: number;
  /** Each clip's leading and trailing silence is trimmed to this pad before joining (`TTS_TRIM_PAD_MS`). */
  readonly trimPadMs: number;
  /** Tests only: an assembly job pauses this long with its output half-written (`TTS_ASSEMBLY_TEST_PAUSE_MS`). */
  readonly assemblyTestPauseMs: number;
  /** `PATH`: where the assembly looks for `ffmpeg` when `TTS_FFMPEG` is not set. */
  readonly searchPath: string | undefined;
};

export const DEFAULT_SETTINGS = {
  redisUrl: 'redis://127.0.0.1:6379',
  segmindBaseUrl: 'https://api.segmind.com',
  outDir: './out',
  concurrency: 16,
  segmindRpm: 50,
  queuePrefix: 'tts',
  logLevel: 'info',
  pollSchedule: 'adaptive',
  pollIntervalMs: 1 * SECOND,
  requestTimeoutMs: 30 * SECOND,
  maxChars: 100_000,
  shutdownGraceMs: 10 * SECOND,
  lockDurationMs: 30 * SECOND,
  rowDeadlineMs: 20 * MINUTE,
  rowTransientFailures: 5,
  maxProtocolErrors: 3,
  httpRetries: 4,
  redisWaitMs: 0,
  demoRedisProbe: '127.0.0.1:6379',
  dashboardHost: '127.0.0.1',
  dashboardPort: 3000,
  chunkChars: DEFAULT_CHUNK_CHARS,
  pauseTitleMs: 1200 * MILLISECOND,
  pauseParagraphMs: 600 * MILLISECOND,
  pauseChapterMs: 2500 * MILLISECOND,
  trimPadMs: 120 * MILLISECOND,
} as const satisfies Partial<Settings>;

type Env = Readonly<Record<string, string | undefined>>;

/** Reads `.env` in the working directory, if present, without overriding variables already set. */
export function loadDotEnv(path = '.env', env: Record<string, string | undefined> = process.env): void {
  if (!existsSync(path)) return;
  const parsed = parseEnv(readFileSync(path, 'utf8'));
  for (const [key, value] of Object.entries(parsed)) {
    if (env[key] === undefined && value !== undefined) env[key] = value;
  }
}

/** One variable of a `.env` file as it is now (undefined when the file or the variable is missing). */
export function readDotEnvValue(path: string, name: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const value = parseEnv(readFileSync(path, 'utf8'))[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function text(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function integer(env: Env, name: string, fallback: number, min: number): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigError(name, `Expected \`${name}\` to be a whole number >= ${min}, got \`${raw}\``);
  }
  return value;
}

function number(env: Env, name: string, min: number, max: number): number | undefined {
  const raw = text(env, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(name, `Expected \`${name}\` to be a number in [${min}, ${max}], got \`${raw}\``);
  }
  return value;
}

function parsePrices(env: Env): Record<ModelSlug, number> {
  const prices: Record<ModelSlug, number> = {
    'gemini-3.1-flash-tts': MODELS['gemini-3.1-flash-tts'].pricePerCallUsd,
    'gemini-2.5-flash-tts': MODELS['gemini-2.5-flash-tts'].pricePerCallUsd,
  };
  const raw = text(env, 'SEGMIND_PRICES');
  if (raw === undefined) return prices;
  for (const pair of raw.split(',')) {
    const [slug = '', price = ''] = pair.split('=').map((part) => part.trim());
    const value = Number(price);
    if (!isModelSlug(slug) || price === '' || !Number.isFinite(value) || value < 0) {
      throw new ConfigError(
        'SEGMIND_PRICES',
        `Expected \`SEGMIND_PRICES\` as \`model=usd,...\` with known models, got \`${pair}\``,
      );
    }
    prices[slug] = value;
  }
  return prices;
}

function chunkChars(env: Env): number {
  const value = integer(env, 'TTS_CHUNK_CHARS', DEFAULT_SETTINGS.chunkChars, MIN_CHUNK_CHARS);
  if (value > CHUNK_CAP_CHARS) {
    throw new ConfigError(
      'TTS_CHUNK_CHARS',
      `Expected \`TTS_CHUNK_CHARS\` to be at most ${CHUNK_CAP_CHARS} (longer inputs make Gemini TTS truncate or drift), got \`${value}\``,
    );
  }
  return value;
}

function notifyUrl(env: Env): string | undefined {
  const url = text(env, 'TTS_NOTIFY_URL');
  if (url !== undefined && !(URL.canParse(url) && /^https?:$/.test(new URL(url).protocol))) {
    throw new ConfigError(
      'TTS_NOTIFY_URL',
      `Expected \`TTS_NOTIFY_URL\` to be an http(s) URL, got \`${url}\``,
    );
  }
  return url;
}

/** `TTS_MASTER`: `acx`, or unset / `none` for no mastering. */
export function masterSetting(value: string | undefined, name = 'TTS_MASTER'): MasterProfile | undefined {
  if (value === undefined || value === 'none') return undefined;
  if (isMasterProfile(value)) return value;
  throw new ConfigError(
    name,
    `Expected \`${name}\` to be one of ${MASTER_PROFILES.join(', ')} or none, got \`${value}\``,
  );
}

/**
 * `REDIS_URL`, `REDIS_CLUSTER_NODES` and `REDIS_TLS_CA_FILE`; on a cluster, a queue prefix
 * without a hash tag is refused here, before any command connects.
 */
function redisTarget(env: Env): RedisTarget {
  const redisTlsCaFile = text(env, 'REDIS_TLS_CA_FILE');
  if (redisTlsCaFile !== undefined && !existsSync(redisTlsCaFile)) {
    throw new ConfigError(
      'REDIS_TLS_CA_FILE',
      `Expected \`REDIS_TLS_CA_FILE\` to name a PEM file of certificate authorities, got \`${redisTlsCaFile}\` (no such file)`,
    );
  }
  const target = {
    redisUrl: text(env, 'REDIS_URL') ?? DEFAULT_SETTINGS.redisUrl,
    redisClusterNodes: parseClusterNodes(text(env, 'REDIS_CLUSTER_NODES')),
    redisTlsCaFile,
  };
  checkClusterPrefix(target, text(env, 'TTS_QUEUE_PREFIX') ?? DEFAULT_SETTINGS.queuePrefix);
  return target;
}

/** Parses the settings once, naming the variable and the bad value on any error. */
function qaThresholdsSetting(env: Env): QaThresholds {
  try {
    return parseQaThresholds(text(env, 'TTS_QA_THRESHOLDS'));
  } catch (error) {
    throw new ConfigError('TTS_QA_THRESHOLDS', (error as Error).message);
  }
}

export function loadSettings(env: Env = process.env): Settings {
  const pollSchedule = text(env, 'TTS_POLL_SCHEDULE') ?? DEFAULT_SETTINGS.pollSchedule;
  if (!(['adaptive', 'fixed', 'exponential'] as const).some((name) => name === pollSchedule)) {
    throw new ConfigError(
      'TTS_POLL_SCHEDULE',
      `Expected \`TTS_POLL_SCHEDULE\` to be adaptive, fixed or exponential, got \`${pollSchedule}\``,
    );
  }
  const defaultModel = text(env, 'TTS_MODEL');
  if (defaultModel !== undefined && !isModelSlug(defaultModel)) {
    throw new ConfigError(
      'TTS_MODEL',
      `Expected \`TTS_MODEL\` to be a known model slug, got \`${defaultModel}\``,
    );
  }
  const baseUrl = text(env, 'SEGMIND_BASE_URL') ?? DEFAULT_SETTINGS.segmindBaseUrl;
  if (!URL.canParse(baseUrl)) {
    throw new ConfigError(
      'SEGMIND_BASE_URL',
      `Expected \`SEGMIND_BASE_URL\` to be a URL, got \`${baseUrl}\``,
    );
  }
  return {
    ...redisTarget(env),
    segmindApiKey: text(env, 'SEGMIND_API_KEY'),
    segmindBaseUrl: baseUrl.replace(/\/+$/, ''),
    outDir: text(env, 'TTS_OUT_DIR') ?? DEFAULT_SETTINGS.outDir,
    concurrency: integer(env, 'TTS_CONCURRENCY', DEFAULT_SETTINGS.concurrency, 1),
    segmindRpm: integer(env, 'SEGMIND_RPM', DEFAULT_SETTINGS.segmindRpm, 1),
    queuePrefix: text(env, 'TTS_QUEUE_PREFIX') ?? DEFAULT_SETTINGS.queuePrefix,
    logLevel: text(env, 'LOG_LEVEL') ?? DEFAULT_SETTINGS.logLevel,
    pollSchedule: pollSchedule as PollScheduleName,
    pollIntervalMs: integer(env, 'TTS_POLL_INTERVAL_MS', DEFAULT_SETTINGS.pollIntervalMs, 1),
    requestTimeoutMs: integer(env, 'TTS_REQUEST_TIMEOUT_MS', DEFAULT_SETTINGS.requestTimeoutMs, 1),
    maxChars: integer(env, 'TTS_MAX_CHARS', DEFAULT_SETTINGS.maxChars, 1),
    defaultModel,
    defaultVoice: text(env, 'TTS_VOICE'),
    defaultVoice2: text(env, 'TTS_VOICE2'),
    defaultTemperature: number(env, 'TTS_TEMPERATURE', 0, 2),
    pricesUsd: parsePrices(env),
    shutdownGraceMs: integer(env, 'TTS_SHUTDOWN_GRACE_MS', DEFAULT_SETTINGS.shutdownGraceMs, 0),
    lockDurationMs: integer(env, 'TTS_LOCK_DURATION_MS', DEFAULT_SETTINGS.lockDurationMs, 1000),
    rowDeadlineMs: integer(env, 'TTS_ROW_DEADLINE_MS', DEFAULT_SETTINGS.rowDeadlineMs, 1000),
    rowTransientFailures: integer(
      env,
      'TTS_ROW_TRANSIENT_FAILURES',
      DEFAULT_SETTINGS.rowTransientFailures,
      0,
    ),
    maxProtocolErrors: integer(env, 'TTS_MAX_PROTOCOL_ERRORS', DEFAULT_SETTINGS.maxProtocolErrors, 1),
    httpRetries: integer(env, 'TTS_HTTP_RETRIES', DEFAULT_SETTINGS.httpRetries, 0),
    redisWaitMs: integer(env, 'TTS_REDIS_WAIT_MS', DEFAULT_SETTINGS.redisWaitMs, 0),
    allowEviction: ['1', 'true', 'yes'].includes(text(env, 'TTS_ALLOW_EVICTION')?.toLowerCase() ?? ''),
    redisUrlConfigured: text(env, 'REDIS_URL') !== undefined,
    demoRedisProbe: text(env, 'TTS_DEMO_REDIS_PROBE') ?? DEFAULT_SETTINGS.demoRedisProbe,
    dashboardHost: text(env, 'TTS_DASHBOARD_HOST') ?? DEFAULT_SETTINGS.dashboardHost,
    dashboardPort: integer(env, 'TTS_DASHBOARD_PORT', DEFAULT_SETTINGS.dashboardPort, 0),
    dashboardUser: text(env, 'TTS_DASHBOARD_USER'),
    dashboardPassword: text(env, 'TTS_DASHBOARD_PASSWORD'),
    chunkChars: chunkChars(env),
    minCreditsUsd: number(env, 'TTS_MIN_CREDITS_USD', 0, Number.MAX_SAFE_INTEGER) ?? 0,
    budgetUsd: number(env, 'TTS_BUDGET_USD', 0, Number.MAX_SAFE_INTEGER),
    qaThresholds: qaThresholdsSetting(env),
    master: masterSetting(text(env, 'TTS_MASTER')),
    holdRecheckMs: integer(env, 'TTS_HOLD_RECHECK_MS', 60 * SECOND, 100),
    qaRetakes: integer(env, 'TTS_QA_RETAKES', 1, 0),
    notifyUrl: notifyUrl(env),
    notifySecret: text(env, 'TTS_NOTIFY_SECRET'),
    notifyCommand: text(env, 'TTS_NOTIFY_CMD'),
    ffmpegPath: text(env, 'TTS_FFMPEG'),
    pauseTitleMs: integer(env, 'TTS_PAUSE_TITLE_MS', DEFAULT_SETTINGS.pauseTitleMs, 0),
    pauseParagraphMs: integer(env, 'TTS_PAUSE_PARAGRAPH_MS', DEFAULT_SETTINGS.pauseParagraphMs, 0),
    pauseChapterMs: integer(env, 'TTS_PAUSE_CHAPTER_MS', DEFAULT_SETTINGS.pauseChapterMs, 0),
    trimPadMs: integer(env, 'TTS_TRIM_PAD_MS', DEFAULT_SETTINGS.trimPadMs, 0),
    assemblyTestPauseMs: integer(env, 'TTS_ASSEMBLY_TEST_PAUSE_MS', 0, 0),
    searchPath: text(env, 'PATH'),
  };
}
