import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ManifestEntry } from '../src/output/manifest-entry.js';
import { runKeys } from '../src/queue/keys.js';
import { until } from '../test/helpers/processes.js';
import { startChaosRedis } from './chaos-redis.js';
import { writeDiagnostics } from './diagnostics.js';
import { enqueueScript } from './enqueue.js';
import { startFleet, type StopSignal } from './fleet.js';
import { CHAOS_LOCK_MS, type ChaosOptions } from './options.js';
import { makeRedisFaults } from './redis-faults.js';
import type { ChaosReport } from './report.js';
import { chaosRows, writeChaosScript } from './script.js';
import { startSimulatorProcess } from './simulator-process.js';
import { makeTimeline } from './timeline.js';
import { verifyChaosRun } from './verify.js';

export { formatChaosReport, type ChaosReport } from './report.js';

const API_KEY = 'sk-chaos-0000';
const RUN = 'chaos';
const GRACE_MS = 1000;
const TICK_MS = 100;

/** Runs the whole chaos scenario and reports what it found; cleans up everything it started. */
export async function runChaos(options: ChaosOptions, print: (line: string) => void): Promise<ChaosReport> {
  const timeline = makeTimeline(Date.now());
  const log = (line: string) => print(`${timeline.at(Date.now())} ${line}`);
  const dir = await mkdtemp(join(tmpdir(), 'tts-chaos-'));
  const prefix = `{chaos${options.seed}}`;
  const redis = await startChaosRedis(options.redisCrash, prefix);
  const sim = await startSimulatorProcess([
    ...['--seed', String(options.seed), '--api-key', API_KEY],
    ...['--latency-scale', String(options.latencyScale)],
    ...['--rate-429', String(options.rate429), '--rate-5xx', String(options.rate5xx)],
    ...['--rate-reset', String(options.rateReset), '--rate-failed', String(options.rateFailed)],
  ]);
  const env = {
    ...redis.env,
    TTS_QUEUE_PREFIX: prefix,
    TTS_OUT_DIR: join(dir, 'out'),
    SEGMIND_BASE_URL: sim.url,
    SEGMIND_API_KEY: API_KEY,
    SEGMIND_RPM: '1000000',
    TTS_CONCURRENCY: String(options.concurrency),
    TTS_LOCK_DURATION_MS: String(CHAOS_LOCK_MS),
    TTS_SHUTDOWN_GRACE_MS: String(GRACE_MS),
    // info at least: the fleet stops only workers that logged `worker_started`.
    LOG_LEVEL: options.logDir === undefined ? 'info' : 'debug',
  };
  if (options.logDir !== undefined) await mkdir(options.logDir, { recursive: true });
  const status = redis.client();
  status.on('error', () => {});
  let fleet: ReturnType<typeof startFleet> | undefined;
  try {
    const rows = chaosRows(options.rows, options.seed);
    const script = await writeChaosScript(dir, rows);
    await enqueueScript(script, RUN, env, dir);
    log(`enqueued ${rows.length} rows; starting ${options.workers} workers`);
    fleet = startFleet({
      env,
      size: options.workers,
      graceMs: GRACE_MS,
      minUpMs: options.killEveryMs,
      logDir: options.logDir,
      log,
    });
    const faults = makeRedisFaults({
      redis,
      options,
      timeline,
      reenqueue: () => enqueueScript(script, RUN, env, dir),
      log,
    });

    const keys = runKeys(env.TTS_QUEUE_PREFIX, RUN);
    const outDir = join(env.TTS_OUT_DIR, RUN);
    const deadline = Date.now() + options.timeoutMs;
    let stops = 0;
    let lastStop = Date.now();
    let done = 0;
    let timedOut: string | undefined;
    for (;;) {
      if (!faults.frozen()) {
        done = await status.hlen(keys.outcomes).catch(() => 0);
        if (done >= rows.length && !faults.awaitingEnqueue()) break;
      }
      if (Date.now() > deadline) {
        timedOut = `timed out after ${options.timeoutMs} ms with ${done} of ${rows.length} rows finished`;
        log(timedOut);
        break;
      }
      await faults.tick(done, rows.length);
      fleet.reap();
      if (Date.now() - lastStop >= options.killEveryMs) {
        const signal: StopSignal =
          options.termEvery > 0 && (stops + 1) % options.termEvery === 0 ? 'SIGTERM' : 'SIGKILL';
        if (await fleet.replaceOldest(signal)) {
          timeline.note(`${signal} to a worker`);
          stops += 1;
          lastStop = Date.now();
        }
      }
      await new Promise((resolve) => setTimeout(resolve, TICK_MS));
    }
    // The last row's worker writes manifest.json right after recording the last outcome.
    const readEntries = async () =>
      JSON.parse(await readFile(join(outDir, 'manifest.json'), 'utf8').catch(() => '[]')) as ManifestEntry[];
    if (timedOut === undefined) {
      await until(async () => (await readEntries()).length === rows.length, 'manifest.json').catch(() => {
        timedOut = `every row has an outcome, but manifest.json does not have ${rows.length} entries`;
      });
    }
    // No worker may bill, record or append after the verdict's snapshot: stop them all first.
    await fleet.stopAll();
    const [entries, ledger, stats, outcomesInRedis] = await Promise.all([
      readEntries(),
      sim.ledger(),
      status.hgetall(keys.stats),
      status.hlen(keys.outcomes),
    ]);
    if (options.logDir !== undefined) await writeDiagnostics(options.logDir, ledger, timeline);
    const findings = await verifyChaosRun({
      outDir,
      rows,
      entries,
      ledger,
      stats,
      outcomesInRedis,
      timeline,
      redisForgot: options.redisCrash === 'empty',
    });
    const workers = fleet.figures();
    const redisFigures = faults.figures();
    const { counts } = ledger;
    return {
      ...findings,
      problems: [...(timedOut === undefined ? [] : [timedOut]), ...findings.problems, ...workers.problems],
      rows: rows.length,
      seconds: (Date.now() - timeline.startedAtMs) / 1000,
      workerKills: workers.sigkills,
      workerTerms: workers.sigterms,
      slowestGracefulExitMs: workers.slowestGracefulExitMs,
      redisCrash: options.redisCrash,
      redisRestarts: redisFigures.restarts,
      redisFreezes: redisFigures.freezes,
      frozenMs: redisFigures.frozenMs,
      reenqueues: redisFigures.reenqueues,
      adopted: redisFigures.adopted,
      injected: { r429: counts.r429, r5xx: counts.r5xx, reset: counts.reset, failed: counts.failed },
      apiCalls: counts.submit + counts.status + counts.result,
    };
  } finally {
    redis.thaw();
    await fleet?.killAll();
    status.disconnect();
    await sim.stop();
    await redis.stop();
    if (options.logDir === undefined) await rm(dir, { recursive: true, force: true });
    else log(`kept the run's files in ${dir}`);
  }
}
