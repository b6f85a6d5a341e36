import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ROWS_QUEUE } from '../../src/queue/keys.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.js';
import type { SimulatorOptions } from '../../src/simulator/options.js';
import type { EnqueueTarget, ScriptRow } from './enqueue-rows.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis, type PrivateRedisOptions } from './redis.js';

export const NIGHT_API_KEY = 'SG_night-test-key';

/** One isolated night: a private Redis, a simulator, an output root, and the settings that join them. */
export type Night = {
  readonly redis: PrivateRedis;
  readonly sim: RunningSimulator;
  readonly target: EnqueueTarget;
  readonly outDir: string;
  /** Worker and command settings; `SEGMIND_BASE_URL` points at the simulator unless overridden. */
  readonly env: Record<string, string>;
  readonly client: Redis;
  queue(): Queue;
  /** manifest.jsonl's lines, parsed. */
  lines(): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
};

export async function startNight(
  options: {
    readonly sim?: Partial<SimulatorOptions>;
    readonly redis?: PrivateRedisOptions;
    readonly env?: Record<string, string>;
  } = {},
): Promise<Night> {
  const redis = await startPrivateRedis(options.redis);
  const sim = await startSimulator({
    port: 0,
    latencyScale: 0.02,
    seed: 7,
    apiKey: NIGHT_API_KEY,
    ...options.sim,
  });
  const outRoot = await mkdtemp(join(tmpdir(), 'tts-night-'));
  const prefix = uniquePrefix('n');
  const env = {
    REDIS_URL: redis.url,
    TTS_QUEUE_PREFIX: prefix,
    SEGMIND_BASE_URL: sim.url,
    SEGMIND_API_KEY: NIGHT_API_KEY,
    SEGMIND_RPM: '100000',
    TTS_CONCURRENCY: '8',
    TTS_LOCK_DURATION_MS: '2000',
    TTS_SHUTDOWN_GRACE_MS: '300',
    TTS_OUT_DIR: outRoot,
    LOG_LEVEL: 'debug',
    ...options.env,
  };
  const target = { env, run: 'night', outRoot, scriptPath: join(outRoot, 'scripts', 'night.jsonl') };
  const client = new Redis(redis.url);
  const queues: Queue[] = [];
  const connections: Redis[] = [];
  return {
    redis,
    sim,
    target,
    outDir: join(outRoot, 'night'),
    env,
    client,
    queue() {
      const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
      connections.push(connection);
      const queue = new Queue(ROWS_QUEUE, {
        connection,
        prefix,
      });
      queues.push(queue);
      return queue;
    },
    async lines() {
      const text = await readFile(join(outRoot, 'night', 'manifest.jsonl'), 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    async close() {
      for (const queue of queues) await queue.close();
      for (const connection of connections) connection.disconnect();
      client.disconnect();
      await sim.close();
      await redis.stop();
      await rm(outRoot, { recursive: true, force: true });
    },
  };
}

/** `count` rows with distinct texts. */
export function nightRows(count: number, label = 'line'): ScriptRow[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${label}-${String(i + 1).padStart(3, '0')}`,
    text: `Sentence ${i + 1} of the ${label} chapter, read slowly and warmly.`,
  }));
}
