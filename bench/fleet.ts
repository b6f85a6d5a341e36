import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ROWS_QUEUE, runKeys } from '../src/queue/keys.js';
import type { ModelSlug } from '../src/segmind/models.js';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../src/simulator/server.js';
import { uniquePrefix } from '../test/helpers/redis.js';
import { addRows, type FixtureRow } from '../test/helpers/rows.js';
import { log, waitUntil } from './common.js';
import { lineText } from './script-file.js';

export const RUN = 'bench';

/**
 * `count` rows, models alternating when `models` has two, texts spread evenly over
 * [minChars, maxChars]. Short texts keep the simulator's audio synthesis (~1 ms of CPU per 25
 * characters, on the bench's event loop) from delaying its answers to polls.
 */
export function benchRows(
  count: number,
  models: readonly ModelSlug[],
  minChars: number,
  maxChars = minChars,
): FixtureRow[] {
  return Array.from({ length: count }, (_, seq): FixtureRow => {
    const model = models[seq % models.length] ?? 'gemini-3.1-flash-tts';
    const chars = minChars + ((seq * 37) % (maxChars - minChars + 1));
    return { id: `r${seq}`, text: lineText(seq, chars), model };
  });
}

/** A simulator, a fresh queue prefix on the bench's Redis, an output directory, and the env a worker reads. */
export type Stage = {
  readonly sim: RunningSimulator;
  readonly prefix: string;
  readonly outDir: string;
  readonly env: Readonly<Record<string, string>>;
  readonly redis: Redis;
  seed(rows: readonly FixtureRow[]): Promise<void>;
  /** Rows with a recorded outcome (completed or failed). */
  done(): Promise<number>;
  close(): Promise<void>;
};

export async function startStage(
  redisUrl: string,
  simOptions: Partial<SimulatorOptions>,
  env: Readonly<Record<string, string>>,
): Promise<Stage> {
  const sim = await startSimulator({ port: 0, host: '127.0.0.1', seed: 11, ...simOptions });
  const prefix = uniquePrefix('bench');
  const root = await mkdtemp(join(tmpdir(), 'tts-bench-out-'));
  const outDir = join(root, RUN);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const outcomes = runKeys(prefix, RUN).outcomes;
  return {
    sim,
    prefix,
    outDir,
    redis,
    env: {
      REDIS_URL: redisUrl,
      TTS_QUEUE_PREFIX: prefix,
      SEGMIND_BASE_URL: sim.url,
      SEGMIND_API_KEY: 'sk-bench-0000',
      SEGMIND_RPM: '1000000',
      TTS_SHUTDOWN_GRACE_MS: '200',
      LOG_LEVEL: 'warn',
      ...env,
    },
    async seed(rows) {
      await addRows(redisUrl, prefix, RUN, outDir, rows);
    },
    done: () => redis.hlen(outcomes),
    async close() {
      redis.disconnect();
      await sim.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

export type WorkerFleet = {
  readonly processes: number;
  /** SIGTERM to every process, then waits for them to exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
};

/**
 * Spawns `processes` real worker processes (`node --import tsx workers/worker.ts`, the
 * product's entry point) with `env`, and resolves once all of them are registered with
 * the queue. The simulator stays in the bench process, so a worker's CPU is its own.
 */
export async function startWorkers(
  stage: Stage,
  processes: number,
  concurrency: number,
): Promise<WorkerFleet> {
  const children: ChildProcess[] = [];
  for (let at = 0; at < processes; at += 1) {
    const child = spawn('node', ['--import', 'tsx', 'workers/worker.ts'], {
      env: { ...process.env, ...stage.env, TTS_CONCURRENCY: String(concurrency) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (chunk: Buffer) =>
      log(`worker ${at}: ${chunk.toString('utf8').trim().slice(0, 300)}`),
    );
    children.push(child);
  }
  const queue = new Queue(ROWS_QUEUE, { connection: stage.redis, prefix: stage.prefix });
  try {
    await waitUntil(async () => (await queue.getWorkersCount()) >= processes, 60_000, 'worker processes', 50);
  } finally {
    await queue.close();
  }
  return {
    processes,
    async stop() {
      await Promise.all(
        children.map(async (child) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = once(child, 'exit');
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(timer);
        }),
      );
    },
  };
}

export type Progress = { readonly atMs: number; readonly done: number }[];

/**
 * Samples the number of finished rows every 10 ms until `target` is reached (or `timeoutMs`),
 * returning the samples: a throughput can then be read between any two counts.
 */
export async function follow(stage: Stage, target: number, timeoutMs: number): Promise<Progress> {
  const samples: { atMs: number; done: number }[] = [];
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const done = await stage.done();
    samples.push({ atMs: performance.now(), done });
    if (done >= target) return samples;
    if (performance.now() > deadline)
      throw new Error(`bench: ${done} of ${target} rows after ${timeoutMs} ms`);
    await delay(10);
  }
}

/** Rows per second between the first sample with at least `from` rows and the first with at least `to`. */
export function rateBetween(samples: Progress, from: number, to: number): number {
  const start = samples.find((sample) => sample.done >= from);
  const end = samples.find((sample) => sample.done >= to);
  if (!start || !end || end.atMs <= start.atMs) return NaN;
  return (end.done - start.done) / ((end.atMs - start.atMs) / 1000);
}
