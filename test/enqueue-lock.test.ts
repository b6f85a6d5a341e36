import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { acquireEnqueueLock, EnqueueBusyError, EnqueueLockLostError } from '../src/enqueue/enqueue-lock.js';
import { runKeys } from '../src/queue/keys.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';

let server: PrivateRedis;
let redis: Redis;
before(async () => {
  server = await startPrivateRedis();
  redis = new Redis(server.url);
});
after(async () => {
  redis.disconnect();
  await server.stop();
});

test('a second enqueue waits a bounded time, then says who holds the run and since when', async () => {
  const prefix = uniquePrefix('lk');
  const first = await acquireEnqueueLock(redis, prefix, 'e');
  const startedAt = Date.now();
  await assert.rejects(acquireEnqueueLock(redis, prefix, 'e', { waitMs: 300, retryEveryMs: 50 }), (error) => {
    assert.ok(error instanceof EnqueueBusyError);
    assert.match(
      error.message,
      /^another enqueue of run e is under way \(started at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d on .+, pid \d+\); run it again when it ends$/,
    );
    assert.equal(error.holder?.startedAt, first.holder.startedAt);
    return true;
  });
  assert.ok(Date.now() - startedAt >= 300);
  // Another run is not held up.
  const other = await acquireEnqueueLock(redis, prefix, 'f', { waitMs: 0 });
  await other.release();

  const waiting = acquireEnqueueLock(redis, prefix, 'e', { waitMs: 5000, retryEveryMs: 20 });
  await first.release();
  const second = await waiting;
  assert.notEqual(second.holder.token, first.holder.token);
  await second.release();
  assert.equal(await redis.exists(runKeys(prefix, 'e').enqueueLock), 0);
});

test('the lock is renewed while held and expires after a crash', async () => {
  const prefix = uniquePrefix('lk');
  const held = await acquireEnqueueLock(redis, prefix, 'e', { ttlMs: 300 });
  await new Promise((resolve) => setTimeout(resolve, 700));
  assert.equal(held.lost.aborted, false);
  assert.ok((await redis.pttl(runKeys(prefix, 'e').enqueueLock)) > 0, 'renewed past its first TTL');
  await held.release();

  // A holder whose process died (its connection gone, so no renewal): the lock expires and the
  // next enqueue gets it.
  const crashed = new Redis(server.url);
  const dead = await acquireEnqueueLock(crashed, prefix, 'g', { ttlMs: 200 });
  crashed.disconnect();
  const next = await acquireEnqueueLock(redis, prefix, 'g', { waitMs: 2000, retryEveryMs: 20 });
  assert.notEqual(next.holder.token, dead.holder.token);
  await next.release();
  await dead.release().catch(() => {});
});

test('a lock lost to a Redis flush aborts the enqueue; release never deletes a lock not its own', async () => {
  const prefix = uniquePrefix('lk');
  const held = await acquireEnqueueLock(redis, prefix, 'e', { ttlMs: 300 });
  await redis.flushall();
  const newcomer = await acquireEnqueueLock(redis, prefix, 'e', { waitMs: 0 });
  await once(held.lost, 'abort');
  assert.ok(held.lost.reason instanceof EnqueueLockLostError);
  assert.match(String(held.lost.reason), /lost the enqueue lock of run e/);
  await held.release();
  const stored = await redis.get(runKeys(prefix, 'e').enqueueLock);
  assert.equal((JSON.parse(stored ?? '{}') as { token?: string }).token, newcomer.holder.token);
  await newcomer.release();
});
