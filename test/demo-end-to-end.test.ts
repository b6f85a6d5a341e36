import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { answersPing, obtainRedis, RedisServerMissingError } from '../src/demo/local-redis.js';
import { freePort, startPrivateRedis, type PrivateRedis } from './helpers/redis.js';
import { runCli } from './helpers/cli.js';

let redis: PrivateRedis;
let dir: string;
before(async () => {
  redis = await startPrivateRedis();
  dir = await mkdtemp(join(tmpdir(), 'tts-demo-'));
});
after(async () => {
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

const demo = (env: Record<string, string>) =>
  runCli(['demo'], { TTS_OUT_DIR: join(dir, 'out'), ...env }, dir);

async function assertRunWritten(): Promise<void> {
  const runDir = join(dir, 'out', 'demo');
  const files = await readdir(runDir);
  const wavs = files.filter((name) => name.endsWith('.wav'));
  assert.equal(wavs.length, 13, files.join(' '));
  for (const wav of wavs.slice(0, 3)) {
    assert.equal((await readFile(join(runDir, wav))).subarray(0, 4).toString('latin1'), 'RIFF');
  }
  const manifest = JSON.parse(await readFile(join(runDir, 'manifest.json'), 'utf8')) as { status: string }[];
  assert.deepEqual(new Set(manifest.map((entry) => entry.status)), new Set(['completed']));
  assert.equal(manifest.length, 13);
  assert.match(await readFile(join(runDir, 'manifest.csv'), 'utf8'), /^id,line,status,/);
}

test('demo uses a Redis answering at the probe address, and runs again afresh', async () => {
  const env = { TTS_DEMO_REDIS_PROBE: `127.0.0.1:${redis.port}` };
  for (let round = 0; round < 2; round += 1) {
    const result = await demo(env);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`redis: using redis://127\\.0\\.0\\.1:${redis.port}`));
    assert.match(result.stdout, /rows: new 13,/);
    assert.match(result.stdout, /done: 13 of 13 rows made, 0 failed/);
    assert.match(result.stdout, /would have cost about \$\d/);
    assert.match(
      result.stdout,
      /billing: the simulator billed 13 submissions; the manifest records 1[3-9] \(nothing paid unrecorded\)/,
    );
    await assertRunWritten();
  }
});

test('demo starts redis-server itself when nothing answers, and stops it', async () => {
  const closed = await freePort();
  const result = await demo({ TTS_DEMO_REDIS_PROBE: `127.0.0.1:${closed}` });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const started = /started redis-server for the demo \((redis:\/\/[^)]+)\)/.exec(result.stdout);
  assert.ok(started?.[1], result.stdout);
  await assertRunWritten();
  assert.equal(await answersPing(started[1]), false, 'the spawned redis-server is stopped');
});

test('without redis-server on the PATH the demo says in one line how to get one', async () => {
  const closed = await freePort();
  await assert.rejects(
    obtainRedis({
      redisUrl: undefined,
      probeAddress: `127.0.0.1:${closed}`,
      dataDir: join(dir, 'redis-data'),
      redisServer: 'redis-server-that-is-not-installed',
    }),
    (error: unknown) =>
      error instanceof RedisServerMissingError &&
      /install redis-server/.test(error.message) &&
      !error.message.includes('\n'),
  );
});
