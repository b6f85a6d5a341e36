import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startSimulator, type RunningSimulator } from '../src/simulator/server.js';
import { runCli } from './helpers/cli.js';
import { dumpRedis } from './helpers/hostile-redis-scan.js';
import { finishedManifest, until } from './helpers/processes.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';
import { startTestWorker } from './helpers/worker.js';

// Characters that need percent-encoding in a URL: the password must survive the round trip.
const PASSWORD = 'pw-Secr3t/with:odd@chars#';
let redis: PrivateRedis;
let sim: RunningSimulator;
let dir: string;
before(async () => {
  redis = await startPrivateRedis({ password: PASSWORD });
  sim = await startSimulator({ port: 0, latencyScale: 0.002, seed: 9 });
  dir = await mkdtemp(join(tmpdir(), 'tts-redis-auth-'));
});
after(async () => {
  await sim.close();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

function assertNoPassword(text: string, where: string, ...secrets: string[]): void {
  for (const secret of [PASSWORD, encodeURIComponent(PASSWORD), ...secrets]) {
    assert.ok(!text.includes(secret), `a password is in ${where}: ${text}`);
  }
}

test('Redis with requirepass via REDIS_URL: enqueue, worker and status work end to end', async () => {
  const prefix = uniquePrefix('ra');
  const env = {
    REDIS_URL: redis.url,
    TTS_QUEUE_PREFIX: prefix,
    TTS_OUT_DIR: join(dir, 'out'),
    SEGMIND_BASE_URL: sim.url,
    SEGMIND_API_KEY: 'sk-redis-auth',
    SEGMIND_RPM: '100000',
    TTS_SHUTDOWN_GRACE_MS: '200',
  };
  assert.match(redis.url, /^redis:\/\/:[^@]+@127\.0\.0\.1:\d+$/);
  const script = join(dir, 'night.csv');
  await writeFile(script, 'id,text\na,First.\nb,Second.\n');
  const enqueued = await runCli(['enqueue', script], env, dir);
  assert.equal(enqueued.code, 0, enqueued.stderr);
  const { rowWorker } = startTestWorker({ env });
  try {
    await until(() => finishedManifest(join(dir, 'out', 'night'), 2) !== undefined, 'the run to finish');
  } finally {
    await rowWorker.stop();
  }
  const status = await runCli(['status', '--run', 'night', '--json'], env, dir);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /"done": 2,/);
  assert.match(status.stdout, /"finished": true/);
  for (const outcome of [enqueued, status]) assertNoPassword(outcome.stdout + outcome.stderr, 'the output');
  assertNoPassword((await dumpRedis(redis.url)).text, 'Redis');
});

test('a wrong or missing Redis password: a clear error, exit 1, no password printed', async () => {
  const script = join(dir, 'other.csv');
  await writeFile(script, 'id,text\na,Hello.\n');
  const wrongPassword = 'not-the-Right-one-42';
  const cases = [
    `redis://:${wrongPassword}@127.0.0.1:${redis.port}`,
    `redis://default:${wrongPassword}@127.0.0.1:${redis.port}`,
    `redis://127.0.0.1:${redis.port}`,
  ];
  for (const url of cases) {
    const env = { REDIS_URL: url, TTS_QUEUE_PREFIX: uniquePrefix('rw'), TTS_OUT_DIR: join(dir, 'out') };
    for (const args of [['enqueue', script], ['status']]) {
      const outcome = await runCli(args, env, dir);
      assert.equal(
        outcome.code,
        1,
        `${args[0]} with ${url.replace(wrongPassword, '***')}: ${outcome.stderr}`,
      );
      assert.match(outcome.stderr, /Cannot reach Redis at redis:\/\/(:\*\*\*@|default:\*\*\*@|127)/);
      assertNoPassword(outcome.stdout + outcome.stderr, `${args[0]}'s output`, wrongPassword);
    }
  }
});

test('a wrong Redis password names the cause (WRONGPASS)', async () => {
  const env = {
    REDIS_URL: `redis://:not-the-Right-one-42@127.0.0.1:${redis.port}`,
    TTS_QUEUE_PREFIX: uniquePrefix('rc'),
  };
  const outcome = await runCli(['status'], env, dir);
  assert.match(outcome.stderr, /WRONGPASS/);
});
