import type { RedisCrash } from './options.js';
import type { ChaosFindings } from './verify.js';

export type ChaosReport = ChaosFindings & {
  readonly rows: number;
  readonly seconds: number;
  /** Workers stopped with SIGKILL. */
  readonly workerKills: number;
  /** Workers stopped with SIGTERM (graceful). */
  readonly workerTerms: number;
  readonly slowestGracefulExitMs: number;
  readonly redisCrash: RedisCrash;
  readonly redisRestarts: number;
  readonly redisFreezes: number;
  /** Longest time Redis stayed frozen (ms). */
  readonly frozenMs: number;
  /** Enqueues of the script after an empty restart, and the rows they adopted (their summary's `adopted N`). */
  readonly reenqueues: number;
  readonly adopted: number;
  readonly injected: Readonly<Record<string, number>>;
  readonly apiCalls: number;
};

/** Loss and extra billing lines shown at most, each (the rest are counted). */
const LINES_SHOWN = 30;

/** Whether the run kept every promise: no loss and, for a full run, extra billing within budget. */
export function chaosPassed(report: ChaosReport): boolean {
  return report.problems.length === 0 && !report.overBudget;
}

function verdict(report: ChaosReport): string {
  if (chaosPassed(report)) return 'PASS';
  return report.problems.length > 0 ? 'FAIL' : 'FAIL (extra billing over the budget; no loss)';
}

function countersLine(report: ChaosReport): string {
  if (!report.counters.compared) return `not compared: ${report.counters.why}`;
  return report.counters.problems.length === 0 ? 'equal to manifest.json' : 'DIFFER from manifest.json';
}

/** The summary table, one `name  value` line each, then each loss and each row billed more than once. */
export function formatChaosReport(report: ChaosReport): string {
  const crash =
    report.redisCrash === 'aof'
      ? 'Redis crashes (AOF restart)'
      : report.redisCrash === 'failover'
        ? 'Redis crashes (master failed over)'
        : 'Redis crashes (restarted empty)';
  const lines: [string, string][] = [
    ['rows', String(report.rows)],
    ['completed', String(report.completed)],
    ['failed', String(report.failed)],
    ...Object.entries(report.failuresByReason).map(([reason, n]): [string, string] => [
      `  ${reason}`,
      String(n),
    ]),
    ['worker SIGKILLs', String(report.workerKills)],
    [
      'worker SIGTERMs',
      `${report.workerTerms} (slowest exit ${(report.slowestGracefulExitMs / 1000).toFixed(1)} s)`,
    ],
    [crash, String(report.redisRestarts)],
    ...(report.redisCrash === 'empty'
      ? [
          ['  script enqueued again / rows adopted', `${report.reenqueues} / ${report.adopted}`] as [
            string,
            string,
          ],
        ]
      : []),
    ['Redis freezes (SIGSTOP)', `${report.redisFreezes} (${(report.frozenMs / 1000).toFixed(1)} s)`],
    ['injected 429 / 5xx / resets / FAILED', Object.values(report.injected).join(' / ')],
    ['API calls (submit+status+result)', String(report.apiCalls)],
    ['calls per row', (report.apiCalls / report.rows).toFixed(2)],
    [
      'extra billable submits',
      `${report.extraSubmits} (${((100 * report.extraSubmits) / report.rows).toFixed(2)}% of rows, limit 0.5%)`,
    ],
    ...Object.entries(report.extraSubmitsByReason).map(([reason, n]): [string, string] => [
      `  ${reason}`,
      String(n),
    ]),
    ['duplicate manifest.jsonl lines', String(report.duplicateLines)],
    ['run counters', countersLine(report)],
    ['journals left (completed rows)', String(report.journalsLeft)],
    ['seconds', report.seconds.toFixed(1)],
    ['losses', report.problems.length === 0 ? 'none' : String(report.problems.length)],
    ['verdict', verdict(report)],
  ];
  const width = Math.max(...lines.map(([name]) => name.length));
  const extra = report.extraBilling;
  return [
    ...lines.map(([name, value]) => `${name.padEnd(width)}  ${value}`),
    ...report.problems.slice(0, LINES_SHOWN).map((p) => `LOSS: ${p}`),
    ...(report.problems.length > LINES_SHOWN
      ? [`LOSS: ... ${report.problems.length - LINES_SHOWN} more`]
      : []),
    ...extra.slice(0, LINES_SHOWN).map((line) => `extra billing: ${line}`),
    ...(extra.length > LINES_SHOWN ? [`extra billing: ... ${extra.length - LINES_SHOWN} more rows`] : []),
  ].join('\n');
}
