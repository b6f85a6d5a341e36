import { parseArgs } from 'node:util';

/** What happens to Redis once mid-run. */
export type RedisCrash =
  /** AOF (appendfsync everysec): killed with SIGKILL and restarted, the AOF replayed. */
  | 'aof'
  /** No persistence: killed and restarted empty, then the script is enqueued again (as a user would). */
  | 'empty'
  /** A Redis Cluster (3 masters, a replica each): the run's master killed, its replica takes over (`--cluster`). */
  | 'failover';

/** The chaos scenario's knobs; defaults are the full run of issue 7. */
export type ChaosOptions = {
  readonly rows: number;
  readonly seed: number;
  readonly workers: number;
  /** Rows in flight per worker process. */
  readonly concurrency: number;
  /** One worker is stopped and restarted this often. */
  readonly killEveryMs: number;
  /** Every this-many-th stop is a SIGTERM (graceful: grace period, rows handed back); the others SIGKILL. 0: never. */
  readonly termEvery: number;
  /** Redis is crashed once, when this share of rows has an outcome. */
  readonly redisCrashAtShare: number;
  readonly redisCrash: RedisCrash;
  /** After an empty restart, the script is enqueued again this long after Redis is back. */
  readonly reenqueueAfterMs: number;
  /** Redis is frozen (SIGSTOP) once, when this share of rows has an outcome... */
  readonly freezeAtShare: number;
  /** ...for this long (the scenario's job lock is 2 s), then thawed (SIGCONT). 0: no freeze. */
  readonly freezeMs: number;
  readonly latencyScale: number;
  readonly rate429: number;
  readonly rate5xx: number;
  readonly rateReset: number;
  readonly rateFailed: number;
  /** Give up (and report a loss) if the run has not finished by then. */
  readonly timeoutMs: number;
  /** A diagnostic run: workers log at debug level, each to `<logDir>/worker-<n>.log`, and the directory is kept. */
  readonly logDir?: string | undefined;
};

/** The job lock of the scenario's workers (TTS_LOCK_DURATION_MS). */
export const CHAOS_LOCK_MS = 2000;

export const DEFAULT_CHAOS_OPTIONS = {
  rows: 2000,
  seed: 1,
  workers: 3,
  concurrency: 16,
  killEveryMs: 3000,
  termEvery: 2,
  redisCrashAtShare: 0.5,
  redisCrash: 'aof',
  reenqueueAfterMs: 1500,
  freezeAtShare: 0.75,
  freezeMs: 3 * CHAOS_LOCK_MS,
  latencyScale: 0.03,
  rate429: 0.02,
  rate5xx: 0.02,
  rateReset: 0.01,
  rateFailed: 0.02,
  timeoutMs: 15 * 60 * 1000,
} as const satisfies ChaosOptions;

const D = DEFAULT_CHAOS_OPTIONS;

export const CHAOS_HELP = `Usage: npm run chaos -- [--rows N] [--seed N] [--empty-redis | --cluster] [--log-dir DIR] [options]

A reproducible crash test: a script of N rows through ${D.workers} worker processes against the
simulator injecting 429s, 5xx, dropped connections and FAILED inferences. One worker is stopped
every few seconds and restarted: a SIGTERM (graceful) every --term-every stops, else a SIGKILL.
Redis is frozen (SIGSTOP) once for ${D.freezeMs / 1000} s, three job locks, then thawed; and crashed once mid-run:
by default killed and restarted with its AOF (appendfsync everysec); with --empty-redis it keeps
nothing, comes back empty, and the script is enqueued again; with --cluster Redis is a cluster of
3 masters with a replica each, the master of the run's slot is killed (its replica takes over) and
later the new one frozen. Then every row is checked against
the simulator's billing ledger, the audio files, manifest.jsonl and the run's counters. Prints a
summary and exits 1 on any loss.

Options (defaults):
  --rows ${D.rows}  --seed ${D.seed}  --workers ${D.workers}  --concurrency ${D.concurrency}
  --kill-every-ms ${D.killEveryMs}  --term-every ${D.termEvery}     every Nth stop is a SIGTERM (0: never)
  --redis-crash-at ${D.redisCrashAtShare}  --empty-redis  --reenqueue-after-ms ${D.reenqueueAfterMs}
  --freeze-at ${D.freezeAtShare}  --freeze-ms ${D.freezeMs}          (0: no freeze)
  --latency-scale ${D.latencyScale}  --rate-429 ${D.rate429}  --rate-5xx ${D.rate5xx}  --rate-reset ${D.rateReset}  --rate-failed ${D.rateFailed}
  --log-dir DIR         workers log at debug level to DIR/worker-N.log
`;

const FLAGS = {
  rows: 'rows',
  seed: 'seed',
  workers: 'workers',
  concurrency: 'concurrency',
  'kill-every-ms': 'killEveryMs',
  'term-every': 'termEvery',
  'latency-scale': 'latencyScale',
  'rate-429': 'rate429',
  'rate-5xx': 'rate5xx',
  'rate-reset': 'rateReset',
  'rate-failed': 'rateFailed',
  'redis-crash-at': 'redisCrashAtShare',
  'reenqueue-after-ms': 'reenqueueAfterMs',
  'freeze-at': 'freezeAtShare',
  'freeze-ms': 'freezeMs',
} as const satisfies Record<string, keyof ChaosOptions>;

type NumericKey = (typeof FLAGS)[keyof typeof FLAGS];

/** Parses the command line; `undefined` means --help was asked for. */
export function parseChaosArgs(argv: readonly string[]): ChaosOptions | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      help: { type: 'boolean', short: 'h' },
      'empty-redis': { type: 'boolean' },
      cluster: { type: 'boolean' },
      'log-dir': { type: 'string' },
      ...Object.fromEntries(Object.keys(FLAGS).map((flag) => [flag, { type: 'string' as const }])),
    },
    strict: true,
  });
  if (values['help'] === true) return undefined;
  const numbers: Partial<Record<NumericKey, number>> = {};
  for (const [flag, key] of Object.entries(FLAGS)) {
    const raw = (values as Record<string, string | boolean | undefined>)[flag];
    if (typeof raw !== 'string') continue;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0)
      throw new Error(`Expected \`--${flag}\` to be a number >= 0, got \`${raw}\``);
    numbers[key] = value;
  }
  const logDir = values['log-dir'];
  return {
    ...DEFAULT_CHAOS_OPTIONS,
    ...numbers,
    redisCrash: values['cluster'] === true ? 'failover' : values['empty-redis'] === true ? 'empty' : 'aof',
    ...(typeof logDir === 'string' ? { logDir } : {}),
  };
}
