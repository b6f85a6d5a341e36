import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { main } from '../src/cli/main.js';
import type { ManifestEntry } from '../src/output/manifest-entry.js';
import { runKeys } from '../src/queue/keys.js';
import { startSimulatorProcess } from './simulator-process.js';
import { startPrivateRedis } from '../test/helpers/redis.js';
import { spawnWorker, until, type SpawnedWorker } from '../test/helpers/processes.js';
import type { ChaosOptions } from './options.js';
import { chaosRows, writeChaosScript } from './script.js';
import { verifyChaosRun, type ChaosFindings } from './verify.js';

export type ChaosReport = ChaosFindings & {
  readonly rows: number;
  readonly seconds: number;
  readonly workerKills: number;
  readonly redisRestarts: number;
  readonly injected: Readonly<Record<string, number>>;
  readonly apiCalls: number;
};

const API_KEY = 'sk-chaos-0000';
const RUN = 'chaos';

/** Runs the whole chaos scenario and reports what it found; cleans up everything it started. */
export async function runChaos(options: ChaosOptions, log: (line: string) => void): Promise<ChaosReport> {
  const started = Date.now();
  const dir = await mkdtemp(join(tmpdir(), 'tts-chaos-'));
  const redis = await startPrivateRedis({ appendonly: true, fsync: 'everysec' });
  const sim = await startSimulatorProcess([
    ...[
      '--seed',
      String(options.seed),
      '--api-key',
      API_KEY,
      '--latency-scale',
      String(options.latencyScale),
    ],
    ...['--rate-429', String(options.rate429), '--rate-5xx', String(options.rate5xx)],
    ...['--rate-reset', String(options.rateReset), '--rate-failed', String(options.rateFailed)],
  ]);
  const workers: SpawnedWorker[] = [];
  const env = {
    REDIS_URL: redis.url,
    TTS_QUEUE_PREFIX: `{chaos${options.seed}}`,
    TTS_OUT_DIR: join(dir, 'out'),
    SEGMIND_BASE_URL: sim.url,
    SEGMIND_API_KEY: API_KEY,
    SEGMIND_RPM: '1000000',
    TTS_CONCURRENCY: String(options.concurrency),
    TTS_LOCK_DURATION_MS: '2000',
    TTS_SHUTDOWN_GRACE_MS: '1000',
    LOG_LEVEL: 'error',
  };
  const status = new Redis(redis.url, { maxRetriesPerRequest: null, retryStrategy: () => 100 });
  status.on('error', () => {});
  try {
    const rows = chaosRows(options.rows, options.seed);
    const script = await writeChaosScript(dir, rows);
    const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() });
    const code = await main(['enqueue', script, '--run', RUN], {
      stdout: sink,
      stderr: sink,
      env,
      cwd: dir,
      signal: new AbortController().signal,
    });
    if (code !== 0) throw new Error(`enqueue exited ${code}`);
    log(`enqueued ${rows.length} rows; starting ${options.workers} workers`);
    for (let i = 0; i < options.workers; i += 1) workers.push(spawnWorker(env));

    let workerKills = 0;
    let redisRestarts = 0;
    let lastKill = Date.now();
    const outcomes = runKeys(env.TTS_QUEUE_PREFIX, RUN).outcomes;
    const outDir = join(env.TTS_OUT_DIR, RUN);
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      const done = await status.hlen(outcomes).catch(() => 0);
      if (done >= rows.length) break;
      if (Date.now() > deadline) throw new Error(`timed out with ${done} of ${rows.length} rows finished`);
      if (redisRestarts === 0 && done >= rows.length * options.redisCrashAtShare) {
        log(`killing Redis at ${done} rows finished`);
        await redis.kill();
        await redis.restart();
        redisRestarts += 1;
      }
      if (Date.now() - lastKill >= options.killEveryMs) {
        const victim = workers.shift();
        await victim?.kill('SIGKILL');
        workers.push(spawnWorker(env));
        workerKills += 1;
        lastKill = Date.now();
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // The last row's worker writes manifest.json right after recording the last outcome.
    let entries: ManifestEntry[] = [];
    await until(async () => {
      entries = JSON.parse(
        await readFile(join(outDir, 'manifest.json'), 'utf8').catch(() => '[]'),
      ) as ManifestEntry[];
      return entries.length === rows.length;
    }, 'manifest.json');
    for (const worker of workers) await worker.kill('SIGTERM');
    const ledger = await sim.ledger();
    const findings = await verifyChaosRun(outDir, rows, entries, ledger);
    const { counts } = ledger;
    return {
      ...findings,
      rows: rows.length,
      seconds: (Date.now() - started) / 1000,
      workerKills,
      redisRestarts,
      injected: { r429: counts.r429, r5xx: counts.r5xx, reset: counts.reset, failed: counts.failed },
      apiCalls: counts.submit + counts.status + counts.result,
    };
  } finally {
    for (const worker of workers) await worker.kill('SIGKILL');
    status.disconnect();
    await sim.stop();
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The summary table, one `name  value` line each. */
export function formatChaosReport(report: ChaosReport): string {
  const lines: [string, string][] = [
    ['rows', String(report.rows)],
    ['completed', String(report.completed)],
    ['failed (inference FAILED)', String(report.failed)],
    ...Object.entries(report.failuresByReason).map(([reason, n]): [string, string] => [
      `  ${reason}`,
      String(n),
    ]),
    ['worker SIGKILLs', String(report.workerKills)],
    ['Redis crashes (AOF restart)', String(report.redisRestarts)],
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
    ['seconds', report.seconds.toFixed(1)],
    ['losses', report.problems.length === 0 ? 'none' : String(report.problems.length)],
    ['verdict', report.problems.length === 0 && !report.overBudget ? 'PASS' : 'FAIL'],
  ];
  const width = Math.max(...lines.map(([name]) => name.length));
  return [
    ...lines.map(([name, value]) => `${name.padEnd(width)}  ${value}`),
    ...report.problems.map((p) => `LOSS: ${p}`),
  ].join('\n');
}
