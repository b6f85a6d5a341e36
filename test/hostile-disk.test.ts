import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { Queue } from 'bullmq';
import { writeFileAtomic } from '../src/output/run-files.js';
import { ROWS_QUEUE, rowJobId } from '../src/queue/keys.js';
import type { RowJobData } from '../src/queue/row-job.js';
import { startSimulator, type RunningSimulator } from '../src/simulator/server.js';
import { runCli } from './helpers/cli.js';
import { addRowsWithAttempts, listTree, outcomesById } from './helpers/hostile-files.js';
import { until } from './helpers/processes.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';
import { sha256 } from './helpers/rows.js';
import { startTestWorker } from './helpers/worker.js';

const run = promisify(execFile);
let redis: PrivateRedis;
let sim: RunningSimulator;
let root: string;
const mounts: string[] = [];
const cleanups: (() => Promise<void>)[] = [];

before(async () => {
  redis = await startPrivateRedis();
  sim = await startSimulator({ port: 0, latencyScale: 0.002, seed: 5 });
  root = await mkdtemp(join(tmpdir(), 'tts-disk-'));
});
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  for (const dir of mounts) await run('umount', [dir]).catch(() => {});
  await sim.close();
  await redis.stop();
  await rm(root, { recursive: true, force: true });
});

/** Mounts a small tmpfs at `dir`, or says why it cannot (not root, no mount in this sandbox). */
async function mountTmpfs(dir: string, options: string): Promise<string | undefined> {
  await mkdir(dir, { recursive: true });
  try {
    await run('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
    mounts.push(dir);
    return undefined;
  } catch (error) {
    return `cannot mount a tmpfs here (${(error as Error).message.split('\n')[0]}); skipped`;
  }
}

async function unmount(dir: string): Promise<void> {
  await run('umount', [dir]);
  mounts.splice(mounts.indexOf(dir), 1);
}

/**
 * A run whose row `bad` writes to `badDir` (which fails) and a run whose row `good` writes to a
 * healthy directory, both with 3 quick attempts; resolves when both have an outcome.
 */
async function scenario(badDir: string, label: string, afterEnqueue?: () => Promise<unknown>) {
  const prefix = uniquePrefix('hd');
  const goodDir = join(root, prefix, 'fine');
  await addRowsWithAttempts(
    redis.url,
    prefix,
    'bad',
    badDir,
    [{ id: 'r1', text: `Disk trouble: ${label}.` }],
    3,
  );
  const env = {
    REDIS_URL: redis.url,
    TTS_QUEUE_PREFIX: prefix,
    SEGMIND_BASE_URL: sim.url,
    SEGMIND_API_KEY: 'sk-hostile-disk',
    SEGMIND_RPM: '100000',
    TTS_SHUTDOWN_GRACE_MS: '200',
    TTS_OUT_DIR: root,
    // One retry of the write (5 s later), then the row fails.
    TTS_ROW_TRANSIENT_FAILURES: '1',
  };
  await afterEnqueue?.();
  const { rowWorker } = startTestWorker({ env, concurrency: 2 });
  cleanups.push(() => rowWorker.stop());
  await until(async () => (await outcomesById(redis.url, prefix, 'bad')).has('r1'), 'the bad row to fail');
  // The worker keeps going: a row of another run, queued after the failure, completes.
  await addRowsWithAttempts(
    redis.url,
    prefix,
    'fine',
    goodDir,
    [{ id: 'good', text: `All is well: ${label}.` }],
    3,
  );
  await until(async () => (await outcomesById(redis.url, prefix, 'fine')).has('good'), 'the good row');
  const bad = (await outcomesById(redis.url, prefix, 'bad')).get('r1');
  const good = (await outcomesById(redis.url, prefix, 'fine')).get('good');
  const queue = new Queue<RowJobData>(ROWS_QUEUE, { connection: { url: redis.url }, prefix });
  const job = await queue.getJob(rowJobId('bad', 'r1', bad?.contentHash ?? ''));
  const state = await job?.getState();
  await queue.close();
  return { prefix, env, rowWorker, bad, good, job, state };
}

test('a read-only output directory: the row is retried, then failed with EROFS; nothing half-written; the worker goes on', async (t) => {
  const ro = join(root, 'ro');
  const skip = await mountTmpfs(ro, 'size=64k');
  if (skip) return t.skip(skip);
  // The run was enqueued (its directory and mark exist), then its filesystem turns read-only.
  const { bad, good, state, rowWorker } = await scenario(join(ro, 'bad'), 'read-only', () =>
    run('mount', ['-o', 'remount,ro', ro]),
  );
  assert.equal(bad?.status, 'failed');
  assert.match(bad?.error ?? '', /EROFS: read-only file system/);
  // The failure is recorded; its manifest line waits for a writable disk (a write failure is not an outcome).
  assert.notEqual(state, 'completed');
  assert.equal(good?.status, 'completed', good?.error ?? '');
  assert.deepEqual(await listTree(ro), ['bad', 'bad/.tts-run.json'], 'nothing else was written');
  await rowWorker.stop();
  await unmount(ro);
});

test('a full disk: the row is retried, then failed with ENOSPC, no temporary file left; `retry` finishes it once there is room', async (t) => {
  const full = join(root, 'full');
  // Room for the row's audio (~100 KB) once the filler is gone, none while it is there.
  const skip = await mountTmpfs(full, 'size=1m');
  if (skip) return t.skip(skip);
  // The run is enqueued, then the disk fills up.
  const fill = async () => {
    const filler = await open(join(full, 'filler'), 'w');
    await filler.write(Buffer.alloc(2 * 1024 * 1024)).catch((error: NodeJS.ErrnoException) => {
      assert.equal(error.code, 'ENOSPC');
    });
    await filler.close();
  };
  const { bad, good, env, rowWorker } = await scenario(join(full, 'bad'), 'full', fill);
  assert.equal(bad?.status, 'failed');
  assert.match(bad?.error ?? '', /ENOSPC: no space left on device/);
  assert.equal(good?.status, 'completed', good?.error ?? '');
  const left = await listTree(join(full, 'bad'));
  assert.ok(!left.some((name) => name.endsWith('.tmp')), `no temporary file: ${left.join(', ')}`);
  assert.ok(!left.includes('r1.wav'), 'no partial audio under its final name');
  assert.equal(
    sim.ledger().submits.filter((s) => s.text_sha256 === sha256(`Disk trouble: full.`)).length,
    0,
    'nothing paid while the disk could not record the submit',
  );

  // Make room, send the failed row back: it completes from its stored request id.
  await rm(join(full, 'filler'));
  // The failure's manifest line waits for room; then the row's job fails and can be retried.
  await until(async () => {
    const queue = new Queue<RowJobData>(ROWS_QUEUE, {
      connection: { url: redis.url },
      prefix: env.TTS_QUEUE_PREFIX,
    });
    const state = await (await queue.getJob(rowJobId('bad', 'r1', bad?.contentHash ?? '')))?.getState();
    await queue.close();
    return state === 'failed';
  }, 'the failed row to settle');
  const retried = await runCli(['retry', '--run', 'bad'], env);
  assert.equal(retried.code, 0, retried.stderr);
  await until(
    async () =>
      (await outcomesById(redis.url, env.TTS_QUEUE_PREFIX, 'bad')).get('r1')?.status === 'completed',
    'the retried row to complete',
  );
  await until(() => existsSync(join(full, 'bad', 'manifest.json')), 'the manifest');
  assert.ok(existsSync(join(full, 'bad', 'r1.wav')));
  assert.equal(
    sim.ledger().submits.filter((s) => s.text_sha256 === sha256(`Disk trouble: full.`)).length,
    1,
    'made once there was room',
  );
  await rowWorker.stop();
});

test('a run directory that cannot be created on a read-only filesystem names EROFS, not ENOENT', async (t) => {
  const fresh = join(root, 'ro-fresh');
  const skip = await mountTmpfs(fresh, 'ro,size=64k');
  if (skip) return t.skip(skip);
  await assert.rejects(writeFileAtomic(join(fresh, 'night', 'deeper'), 'a.wav', 'x'), { code: 'EROFS' });
  assert.deepEqual(await listTree(fresh), []);
});
