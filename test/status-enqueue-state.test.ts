import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { runCli } from './helpers/cli.js';
import { until } from './helpers/processes.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';

// An enqueue stopped part-way (Ctrl-C, Redis out of memory) leaves rows without a job: status
// says so, how many, and that the same enqueue completes the run.

let redis: PrivateRedis;
let dir: string;
before(async () => {
  redis = await startPrivateRedis();
  dir = await mkdtemp(join(tmpdir(), 'tts-status-enqueue-'));
});
after(async () => {
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

type JsonRun = { run: string; rows: number; withoutJob: number; enqueue: { kind: string } };

test('status shows an enqueue stopped part-way and the rows that have no job yet', async () => {
  const prefix = uniquePrefix('se');
  const env = { REDIS_URL: redis.url, TTS_QUEUE_PREFIX: prefix, TTS_OUT_DIR: join(dir, 'out') };
  const rows = 20_000;
  const script = join(dir, 'big.csv');
  await writeFile(
    script,
    'id,text\n' + Array.from({ length: rows }, (_, i) => `r${i},Line ${i} read aloud.\n`).join(''),
  );
  // Stopped as Ctrl-C stops it (the command's signal), once its first jobs are in the queue.
  const controller = new AbortController();
  const enqueue = runCli(['enqueue', script, '--run', 'big'], env, dir, controller.signal);
  const client = new Redis(redis.url);
  try {
    await until(async () => (await client.llen(`${prefix}:rows:wait`)) > 0, 'the first jobs', 6000, 5);
    controller.abort(new Error('received SIGINT'));
    const stopped = await enqueue;
    assert.equal(stopped.code, 1, stopped.stdout + stopped.stderr);
    const queued = await client.llen(`${prefix}:rows:wait`);
    assert.ok(queued < rows, 'stopped before the end');

    const json = await runCli(['status', '--json'], env, dir);
    const [big] = (JSON.parse(json.stdout) as { runs: JsonRun[] }).runs;
    assert.equal(big?.enqueue.kind, 'interrupted');
    assert.equal(big?.withoutJob, rows - queued);

    const missing = (rows - queued).toLocaleString('en-US');
    const table = await runCli(['status'], env, dir);
    assert.match(
      table.stdout,
      new RegExp(
        `^big: enqueue stopped part-way .*: ${missing} rows have no job yet; run the same enqueue again to queue them`,
        'm',
      ),
    );
    const detail = await runCli(['status', '--run', 'big'], env, dir);
    assert.match(
      detail.stdout,
      new RegExp(`^enqueue stopped part-way .*: ${missing} rows have no job yet`, 'm'),
    );

    const again = await runCli(['enqueue', script, '--run', 'big'], env, dir);
    assert.equal(again.code, 0, again.stderr);
    const after = await runCli(['status', '--run', 'big'], env, dir);
    assert.doesNotMatch(after.stdout, /no job yet/);
    const [complete] = (
      JSON.parse((await runCli(['status', '--json'], env, dir)).stdout) as { runs: JsonRun[] }
    ).runs;
    assert.equal(complete?.enqueue.kind, 'complete');
    assert.equal(complete?.withoutJob, 0);
  } finally {
    client.disconnect();
  }
});
