import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Queue } from 'bullmq';
import { ROWS_QUEUE } from '../src/queue/keys.js';
import { makeSandbox } from './fixtures/scripts/enqueue-harness.js';
import { freePort, startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';

const ROOT = join(import.meta.dirname, '..');

let redis: PrivateRedis;
let outDir: string;
before(async () => {
  redis = await startPrivateRedis();
  outDir = await mkdtemp(join(tmpdir(), 'tts-enqueue-cli-'));
});
after(async () => {
  await redis.stop();
  await rm(outDir, { recursive: true, force: true });
});

async function cli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['bin/tts-batch.js', 'enqueue', ...args], {
    cwd: ROOT,
    env: { ...process.env, TTS_OUT_DIR: outDir, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

test('end to end: jobs.example.csv is valid, enqueues once, and the process exits', async () => {
  const prefix = uniquePrefix('cli');
  const env = { REDIS_URL: redis.url, TTS_QUEUE_PREFIX: prefix };
  const first = await cli(['jobs.example.csv', '--run', 'example'], env);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^run: example$/m);
  assert.match(first.stdout, /rows: new 13, unchanged 0, skipped 0/);
  const second = await cli(['jobs.example.csv', '--run', 'example'], env);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /rows: new 0, unchanged 13, skipped 0/);
  const queue = new Queue(ROWS_QUEUE, { connection: { url: redis.url }, prefix });
  try {
    assert.equal(await queue.count(), 13);
  } finally {
    await queue.close();
  }
});

test('end to end: --help exits 0; a bad script exits 2', async () => {
  const help = await cli(['--help'], {});
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: tts-batch enqueue <file>/);
  const bad = await cli(['package.json'], { REDIS_URL: redis.url });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown script format `\.json`/);
});

test('Redis unreachable: a clear message and exit 1, nothing hangs', async () => {
  const port = await freePort();
  const sandbox = await makeSandbox(`redis://127.0.0.1:${port}`, uniquePrefix('down'));
  try {
    await sandbox.write('a.csv', 'id,text\n1,hello\n');
    const result = await sandbox.enqueue('a.csv');
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`Cannot reach Redis at redis://127\\.0\\.0\\.1:${port}`));
  } finally {
    await rm(sandbox.dir, { recursive: true, force: true });
  }
  const spawned = await cli(['jobs.example.csv'], { REDIS_URL: `redis://127.0.0.1:${port}` });
  assert.equal(spawned.code, 1);
  assert.match(spawned.stderr, /Cannot reach Redis/);
});
