import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { AssemblyJobData } from '../src/assembly/assembly-jobs.js';
import { awaitBook } from '../src/demo/await-book.js';
import { ASSEMBLY_QUEUE } from '../src/queue/keys.js';
import { collector } from './fixtures/scripts/enqueue-harness.js';
import { startPrivateRedis, type PrivateRedis } from './helpers/redis.js';

let redis: PrivateRedis;
let client: Redis;
let dir: string;
before(async () => {
  redis = await startPrivateRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
  dir = await mkdtemp(join(tmpdir(), 'tts-await-book-'));
});
after(async () => {
  client.disconnect();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

/** An assembly job of `run` failed for good by BullMQ, with `reason`, under `prefix`. */
async function failedAssembly(prefix: string, run: string, reason: string): Promise<void> {
  const queue = new Queue<AssemblyJobData>(ASSEMBLY_QUEUE, { connection: client, prefix });
  const connection = client.duplicate();
  const worker = new Worker<AssemblyJobData>(
    ASSEMBLY_QUEUE,
    () => Promise.reject(new UnrecoverableError(reason)),
    { connection, prefix },
  );
  try {
    const failed = once(worker, 'failed');
    await queue.add('book', { kind: 'book', run, version: 'v1', chapters: [] }, { jobId: `${run}/book/v1` });
    await failed;
  } finally {
    await worker.close();
    await queue.close();
    connection.disconnect();
  }
}

describe('the book demo waiting for the assembly', () => {
  it("ends with the reason when the run's assembly job failed for good, not another run's", async () => {
    const prefix = `t-await-${randomUUID()}`;
    await failedAssembly(prefix, 'other-run', 'not this one');
    await failedAssembly(prefix, 'demo-book', 'NeedsFfmpeg: an MP3 clip and no ffmpeg');
    const out = collector();
    const awaited = await awaitBook({
      run: 'demo-book',
      runDir: join(dir, 'failed', 'demo-book'),
      session: { redis: client, prefix },
      out: out.stream,
      signal: new AbortController().signal,
      timeoutMs: 60_000,
    });
    assert.deepEqual(awaited, {
      missing: "the book's assembly failed (job demo-book/book/v1): NeedsFfmpeg: an MP3 clip and no ffmpeg",
    });
  });

  it('gives up when nothing is assembled in time, and when stopped', async () => {
    const prefix = `t-await-${randomUUID()}`;
    const runDir = join(dir, 'never', 'demo-book');
    let nowMs = 0;
    const common = {
      run: 'demo-book',
      runDir,
      session: { redis: client, prefix },
      out: collector().stream,
      timeoutMs: 1000,
      intervalMs: 1,
    };
    const late = await awaitBook({
      ...common,
      signal: new AbortController().signal,
      nowMs: () => (nowMs += 400),
    });
    assert.deepEqual(late, {
      missing: `the book was not assembled: no assembly job queued or running for 1 s, and no chapters.json in ${runDir}`,
    });
    const stopped = await awaitBook({ ...common, signal: AbortSignal.abort() });
    assert.deepEqual(stopped, { missing: 'demo stopped before the book was assembled' });
  });

  it('keeps waiting past the timeout while an assembly job is queued', async () => {
    const prefix = `t-await-${randomUUID()}`;
    const queue = new Queue<AssemblyJobData>(ASSEMBLY_QUEUE, { connection: client, prefix });
    await queue.add('book', { kind: 'book', run: 'demo-book', version: 'v1', chapters: [] });
    await queue.close();
    const stop = new AbortController();
    let nowMs = 0;
    const awaited = await awaitBook({
      run: 'demo-book',
      runDir: join(dir, 'queued', 'demo-book'),
      session: { redis: client, prefix },
      out: collector().stream,
      signal: stop.signal,
      timeoutMs: 1000,
      intervalMs: 1,
      // Ten timeouts' worth of clock, then the user stops it: only a job kept it waiting.
      nowMs: () => {
        nowMs += 400;
        if (nowMs > 10_000) stop.abort();
        return nowMs;
      },
    });
    assert.deepEqual(awaited, { missing: 'demo stopped before the book was assembled' });
  });
});
