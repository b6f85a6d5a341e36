import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runEnqueueCommand } from '../cli/enqueue-command.js';
import type { CliContext } from '../cli/context.js';
import { makeLogger } from '../log.js';
import { connectRedis, makeRedis } from '../redis/connection.js';
import { startSimulator } from '../simulator/server.js';
import { checkBilling, type BilledEntry } from './billing-check.js';
import type { DemoSpec, DemoSummary, MadeRun } from './demo-spec.js';
import { loadSettings, type Settings } from '../settings.js';
import { withQueue } from '../queue/queue-session.js';
import { readProgress } from '../status/run-progress.js';
import { watchRun } from '../status/watch.js';
import { makeRowWorker } from '../worker/make-worker.js';
import { obtainRedis } from './local-redis.js';

export const DEMO_RUN = 'demo';
/** The simulator accepts only this key, so the demo proves the key is sent (and never logged). */
const DEMO_API_KEY = 'sk-demo-local-simulator';
/** Fast enough to finish in seconds, slow enough that the progress bar has something to show. */
const DEMO_LATENCY_SCALE = 0.05;
export const DEMO_SCRIPT = fileURLToPath(new URL('../../jobs.example.csv', import.meta.url));

/** Keys of the demo's previous runs, so that running it twice starts afresh. */
async function clearPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = await connectRedis(makeRedis(redisUrl, 'command'), redisUrl);
  try {
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 1000 }) as AsyncIterable<
      string[]
    >) {
      if (keys.length > 0) await redis.del(...keys);
    }
  } finally {
    redis.disconnect();
  }
}

function summary({ progress: p, runDir }: MadeRun<undefined>): DemoSummary {
  return {
    ok: true,
    text: [
      '',
      `done: ${p.done} of ${p.rows} rows made, ${p.failed} failed`,
      `audio: ${(p.audioMinutes * 60).toFixed(1)} s in ${runDir}/*.wav`,
      `manifests: ${join(runDir, 'manifest.json')} and manifest.csv (one entry per row, in script order)`,
      `API calls: ${p.calls} (submits, polls and result fetches) to the local simulator`,
      `on the real API this would have cost about $${p.costUsd.toFixed(4)}`,
      '',
      'next: `npm run enqueue -- <your-script.csv> --dry-run` for the estimate, then without `--dry-run` with SEGMIND_API_KEY set, then `npm run worker`',
      '',
    ].join('\n'),
  };
}

export const PLAIN_DEMO: DemoSpec<undefined> = {
  run: DEMO_RUN,
  script: DEMO_SCRIPT,
  afterRows: () => Promise.resolve(undefined),
  summary,
};

/**
 * The whole job on embedded defaults: a Redis (configured, found or started), the simulator
 * in-process, the spec's script enqueued as its run (`PLAIN_DEMO`: `jobs.example.csv` as `demo`),
 * a worker in-process until the run is finished and `spec.afterRows` returns; then the summary
 * and the billing check. Everything it started is stopped before it returns.
 */
export async function runDemo<T>(context: CliContext, spec: DemoSpec<T>): Promise<number> {
  const base = loadSettings(context.env);
  const out = context.stdout;
  const redis = await obtainRedis({
    redisUrl: base.redisUrlConfigured ? base.redisUrl : undefined,
    probeAddress: base.demoRedisProbe,
    dataDir: resolve(context.cwd, '.tmp/demo-redis'),
  });
  const closers: (() => Promise<void>)[] = [() => redis.stop()];
  try {
    out.write(
      `redis: ${redis.source === 'spawned' ? `started redis-server for the demo (${redis.url})` : `using ${redis.source === 'probe' ? redis.url : 'REDIS_URL'}`}\n`,
    );
    const sim = await startSimulator({
      port: 0,
      latencyScale: DEMO_LATENCY_SCALE,
      apiKey: DEMO_API_KEY,
      seed: 1,
    });
    closers.unshift(() => sim.close());
    out.write(`simulator: ${sim.url} (latency scale ${DEMO_LATENCY_SCALE})\n`);

    const prefix = `${base.queuePrefix}-demo`;
    await clearPrefix(redis.url, prefix);
    const runDir = resolve(context.cwd, base.outDir, spec.run);
    await rm(runDir, { recursive: true, force: true });
    const env = {
      ...context.env,
      REDIS_URL: redis.url,
      // The demo's Redis is the one server above, even where a cluster is configured.
      REDIS_CLUSTER_NODES: '',
      TTS_QUEUE_PREFIX: prefix,
      SEGMIND_BASE_URL: sim.url,
      SEGMIND_API_KEY: DEMO_API_KEY,
      SEGMIND_RPM: '600',
      TTS_SHUTDOWN_GRACE_MS: '1000',
    };
    const settings: Settings = loadSettings(env);
    const enqueued = await runEnqueueCommand([spec.script, '--run', spec.run, '--out', base.outDir], {
      ...context,
      env,
    });
    if (enqueued !== 0) return enqueued;

    const logger = makeLogger({
      level: 'warn',
      secrets: [DEMO_API_KEY],
      pretty: false,
      destination: context.stderr,
    });
    const rowWorker = makeRowWorker({ settings, logger, concurrency: 8 });
    let workerStopped = false;
    const stopWorker = async () => {
      if (workerStopped) return;
      workerStopped = true;
      await rowWorker.stop();
    };
    closers.unshift(stopWorker);
    const last = await withQueue(settings, (session) =>
      watchRun({
        out,
        signal: context.signal,
        intervalMs: 250,
        read: async () => (await readProgress({ ...session, runs: [spec.run] }))[0],
      }),
    );
    let after: { readonly outputs: T } | undefined;
    if (last?.finished)
      after = { outputs: await spec.afterRows({ runDir, out, signal: context.signal, settings }) };
    // Stopping waits for the last row's worker, which writes manifest.json and manifest.csv.
    await stopWorker();
    if (last === undefined || after === undefined) {
      out.write('demo stopped before the run finished\n');
      return 1;
    }
    const made = spec.summary({ progress: last, runDir, outputs: after.outputs });
    out.write(made.text);
    const entries = JSON.parse(await readFile(join(runDir, 'manifest.json'), 'utf8')) as BilledEntry[];
    const billing = checkBilling(sim.ledger(), entries);
    out.write(
      billing.unrecorded.length === 0
        ? `billing: the simulator billed ${billing.billed} submissions; the manifest records ${billing.recorded} (nothing paid unrecorded)\n`
        : `billing: rows billed more often than recorded: ${billing.unrecorded.join(', ')}\n`,
    );
    return last.failed === 0 && made.ok && billing.unrecorded.length === 0 ? 0 : 1;
  } finally {
    for (const close of closers) await close().catch(() => undefined);
  }
}
