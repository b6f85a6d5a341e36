import { parseArgs } from 'node:util';

/** The chaos scenario's knobs; defaults are the full run of issue 7. */
export type ChaosOptions = {
  readonly rows: number;
  readonly seed: number;
  readonly workers: number;
  /** Rows in flight per worker process. */
  readonly concurrency: number;
  /** One worker is killed with SIGKILL and restarted this often. */
  readonly killEveryMs: number;
  /** Redis is killed and restarted once, when this share of rows has an outcome. */
  readonly redisCrashAtShare: number;
  readonly latencyScale: number;
  readonly rate429: number;
  readonly rate5xx: number;
  readonly rateReset: number;
  readonly rateFailed: number;
  /** Give up (and report a loss) if the run has not finished by then. */
  readonly timeoutMs: number;
};

export const DEFAULT_CHAOS_OPTIONS = {
  rows: 2000,
  seed: 1,
  workers: 3,
  concurrency: 16,
  killEveryMs: 3000,
  redisCrashAtShare: 0.5,
  latencyScale: 0.03,
  rate429: 0.02,
  rate5xx: 0.02,
  rateReset: 0.01,
  rateFailed: 0.02,
  timeoutMs: 15 * 60 * 1000,
} as const satisfies ChaosOptions;

export const CHAOS_HELP = `Usage: npm run chaos -- [--rows N] [--seed N] [--workers N] [--kill-every-ms MS] [--latency-scale X]

A reproducible crash test: a script of N rows through ${DEFAULT_CHAOS_OPTIONS.workers} worker processes
against the simulator injecting 429s, 5xx, dropped connections and FAILED inferences; one
worker is killed with SIGKILL every few seconds and restarted; Redis (AOF, appendfsync
everysec) is killed and restarted once mid-run. Prints a summary and exits 1 on any loss.

Options (defaults): --rows ${DEFAULT_CHAOS_OPTIONS.rows}, --seed ${DEFAULT_CHAOS_OPTIONS.seed}, --workers ${DEFAULT_CHAOS_OPTIONS.workers},
  --concurrency ${DEFAULT_CHAOS_OPTIONS.concurrency}, --kill-every-ms ${DEFAULT_CHAOS_OPTIONS.killEveryMs}, --latency-scale ${DEFAULT_CHAOS_OPTIONS.latencyScale},
  --rate-429 ${DEFAULT_CHAOS_OPTIONS.rate429}, --rate-5xx ${DEFAULT_CHAOS_OPTIONS.rate5xx}, --rate-reset ${DEFAULT_CHAOS_OPTIONS.rateReset}, --rate-failed ${DEFAULT_CHAOS_OPTIONS.rateFailed}
`;

const FLAGS = {
  rows: 'rows',
  seed: 'seed',
  workers: 'workers',
  concurrency: 'concurrency',
  'kill-every-ms': 'killEveryMs',
  'latency-scale': 'latencyScale',
  'rate-429': 'rate429',
  'rate-5xx': 'rate5xx',
  'rate-reset': 'rateReset',
  'rate-failed': 'rateFailed',
  'redis-crash-at': 'redisCrashAtShare',
} as const satisfies Record<string, keyof ChaosOptions>;

/** Parses the command line; `undefined` means --help was asked for. */
export function parseChaosArgs(argv: readonly string[]): ChaosOptions | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      help: { type: 'boolean', short: 'h' },
      ...Object.fromEntries(Object.keys(FLAGS).map((flag) => [flag, { type: 'string' as const }])),
    },
    strict: true,
  });
  if (values['help'] === true) return undefined;
  const options: Record<string, number> = { ...DEFAULT_CHAOS_OPTIONS };
  for (const [flag, key] of Object.entries(FLAGS)) {
    const raw = (values as Record<string, string | boolean | undefined>)[flag];
    if (typeof raw !== 'string') continue;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0)
      throw new Error(`Expected \`--${flag}\` to be a number >= 0, got \`${raw}\``);
    options[key] = value;
  }
  return options as ChaosOptions;
}
