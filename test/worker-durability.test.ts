import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { startSimulator, type RunningSimulator } from '../src/simulator/server.js';
import { servedAudio } from '../src/simulator/speech-audio.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';
import { finishedManifest, spawnWorker, until, type SpawnedWorker } from './helpers/processes.js';
import { addRows, sha256 } from './helpers/rows.js';

const API_KEY = 'sk-durability-SECRET-7f3a9c';
let outRoot: string;
const cleanups: (() => Promise<void>)[] = [];
before(async () => {
  outRoot = await mkdtemp(join(tmpdir(), 'tts-durable-'));
});
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  await rm(outRoot, { recursive: true, force: true });
});

async function scenario(redis: PrivateRedis, rows: number, label: string) {
  const sim = await startSimulator({
    port: 0,
    latencyScale: 0.05,
    seed: 11,
    apiKey: API_KEY,
    rate429: 0.02,
    rate5xx: 0.02,
  });
  cleanups.push(() => sim.close());
  const prefix = uniquePrefix(label);
  const outDir = join(outRoot, prefix, 'night');
  const texts = Array.from({ length: rows }, (_, i) => ({
    id: `line-${String(i + 1).padStart(3, '0')}`,
    text: `Sentence number ${i + 1} of the ${label} chapter, read slowly.`,
  }));
  await addRows(redis.url, prefix, 'night', outDir, texts);
  const env = {
    REDIS_URL: redis.url,
    TTS_QUEUE_PREFIX: prefix,
    SEGMIND_BASE_URL: sim.url,
    SEGMIND_API_KEY: API_KEY,
    SEGMIND_RPM: '100000',
    TTS_CONCURRENCY: '4',
    TTS_LOCK_DURATION_MS: '2000',
    TTS_SHUTDOWN_GRACE_MS: '500',
    LOG_LEVEL: 'debug',
  };
  const workers: SpawnedWorker[] = [];
  cleanups.push(async () => {
    for (const worker of workers) await worker.kill('SIGKILL');
  });
  return { sim, prefix, outDir, texts, env, workers };
}

/** Every row completed once, with the simulator's audio for its text, and its billing explained. */
function checkRun(
  sim: RunningSimulator,
  entries: Record<string, unknown>[],
  texts: readonly { id: string; text: string }[],
) {
  assert.deepEqual(
    entries.map((e) => e['id']),
    texts.map((t) => t.id),
  );
  const ledger = sim.ledger();
  let extra = 0;
  for (const [i, entry] of entries.entries()) {
    const text = texts[i]?.text ?? '';
    assert.equal(entry['status'], 'completed', `row ${String(entry['id'])}: ${String(entry['error'])}`);
    assert.equal(entry['audio_sha256'], sha256(servedAudio(text, 'wav')));
    const billed = ledger.submits.filter((s) => s.text_sha256 === sha256(text)).length;
    const reasons = entry['resubmit_reasons'] as string[];
    // Every billed submission is one the row counted; any beyond the first has a stated reason.
    assert.ok(billed <= Number(entry['submits']), `row ${String(entry['id'])}: billed ${billed} > submits`);
    assert.equal(
      Number(entry['submits']) - 1,
      reasons.length,
      `row ${String(entry['id'])}: reasons for every resubmit`,
    );
    extra += billed - 1;
  }
  return extra;
}

test('two worker processes, one killed with SIGKILL mid-run and restarted: nothing lost, nothing paid twice', async () => {
  const redis = await startPrivateRedis();
  cleanups.push(() => redis.stop());
  const { sim, outDir, texts, env, workers } = await scenario(redis, 40, 'kill');
  workers.push(spawnWorker(env), spawnWorker(env));
  await until(() => sim.ledger().submits.length >= 12, 'a dozen submissions');
  const victim = workers[0];
  assert.ok(victim);
  await victim.kill('SIGKILL');
  workers.push(spawnWorker(env));
  let entries: Record<string, unknown>[] | undefined;
  await until(() => (entries = finishedManifest(outDir, texts.length)) !== undefined, 'the run to finish');
  const extra = checkRun(sim, entries ?? [], texts);
  // A SIGKILL orphans at most the POSTs its worker had in flight (TTS_CONCURRENCY 4): each stays
  // counted (checkRun) and is paid again; how many were in flight depends on the machine's load.
  assert.ok(extra <= 4, `at most one resubmission per POST the victim had in flight, got ${extra}`);
  for (const worker of workers.slice(1)) await worker.kill('SIGTERM');
  assert.equal(sim.ledger().counts.download_with_key, 0);

  // The key appears nowhere: logs at debug level, files written, Redis keys and values.
  const logs = workers.map((w) => w.output()).join('\n');
  assert.ok(logs.includes('"event":"row_completed"'), 'the workers did log');
  assert.ok(!logs.includes(API_KEY), 'API key in the logs');
  for (const file of await readdir(outDir)) {
    assert.ok(!(await readFile(join(outDir, file))).includes(API_KEY), `API key in ${file}`);
  }
  const client = new Redis(redis.url);
  const keys = await client.keys('*');
  assert.ok(keys.length > 0);
  for (const key of keys) {
    assert.ok(!key.includes(API_KEY));
    const type = await client.type(key);
    const value =
      type === 'string'
        ? await client.getBuffer(key)
        : type === 'hash'
          ? JSON.stringify(await client.hgetall(key))
          : type === 'list'
            ? JSON.stringify(await client.lrange(key, 0, -1))
            : type === 'zset'
              ? JSON.stringify(await client.zrange(key, '0', '-1'))
              : type === 'set'
                ? JSON.stringify(await client.smembers(key))
                : type === 'stream'
                  ? JSON.stringify(await client.xrange(key, '-', '+'))
                  : '';
    assert.ok(!String(value).includes(API_KEY), `API key in Redis key ${key}`);
  }
  client.disconnect();
});

test('Redis killed and restarted (AOF) mid-run: the workers reconnect and the run completes', async () => {
  const redis = await startPrivateRedis({ appendonly: true, fsync: 'everysec' });
  cleanups.push(() => redis.stop());
  const { sim, outDir, texts, env, workers } = await scenario(redis, 30, 'aof');
  workers.push(spawnWorker(env), spawnWorker(env));
  await until(() => sim.ledger().submits.length >= 10, 'ten submissions');
  // Let the AOF catch up with the stored request ids, as `appendfsync everysec` does within a second.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  await redis.kill();
  await redis.restart();
  let entries: Record<string, unknown>[] | undefined;
  await until(() => (entries = finishedManifest(outDir, texts.length)) !== undefined, 'the run to finish');
  const extra = checkRun(sim, entries ?? [], texts);
  assert.ok(extra <= 4, `resubmissions after a Redis crash stay few, got ${extra}`);
  for (const worker of workers) await worker.kill('SIGTERM');
});
