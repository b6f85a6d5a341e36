import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { makeSandbox } from './fixtures/scripts/enqueue-harness.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';

// Defect 7 (enqueue side): with `allkeys-lru`, enqueue printed `new 60000` and exited 0 while
// Redis evicted the run's metadata. The servers start as startPrivateRedis starts them (`--save ''
// --appendonly no --maxmemory-policy noeviction`); the eviction policy is then set with CONFIG SET.
let bare: PrivateRedis;
let durable: PrivateRedis;
const clients: Redis[] = [];
before(async () => {
  [bare, durable] = await Promise.all([startPrivateRedis(), startPrivateRedis({ appendonly: true })]);
});
after(async () => {
  for (const client of clients) client.disconnect();
  await Promise.all([bare.stop(), durable.stop()]);
});

function connect(url: string): Redis {
  const client = new Redis(url);
  clients.push(client);
  return client;
}

test('enqueue on an evicting Redis: exit 2, the setting named, nothing enqueued; allowed: a warning', async () => {
  const admin = connect(durable.url);
  await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
  const sandbox = await makeSandbox(durable.url, uniquePrefix('ev'));
  try {
    await sandbox.write('night.csv', 'id,text\na,One.\nb,Two.\n');
    const refused = await sandbox.enqueue('night.csv');
    assert.equal(refused.code, 2, refused.stdout);
    assert.match(
      refused.stderr,
      /maxmemory-policy is `allkeys-lru`.*TTS_ALLOW_EVICTION=1.*nothing was enqueued/s,
    );
    assert.doesNotMatch(refused.stdout, /new 2/);
    assert.deepEqual(await sandbox.keys(), []);

    const allowed = await makeSandbox(durable.url, sandbox.prefix, { TTS_ALLOW_EVICTION: '1' });
    try {
      await allowed.write('night.csv', 'id,text\na,One.\nb,Two.\n');
      const going = await allowed.enqueue('night.csv');
      assert.equal(going.code, 0, going.stderr);
      assert.match(going.stderr, /^warning: .*allkeys-lru/m);
      assert.match(going.stdout, /new 2/);
    } finally {
      await allowed.close();
    }
  } finally {
    await sandbox.close();
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
  }
});

test('enqueue on a Redis without persistence warns and goes on', async () => {
  const sandbox = await makeSandbox(bare.url, uniquePrefix('np'));
  try {
    await sandbox.write('n.csv', 'text\nhello\n');
    const outcome = await sandbox.enqueue('n.csv');
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.match(outcome.stderr, /^warning: Redis has neither AOF nor RDB snapshots/m);
  } finally {
    await sandbox.close();
  }
});
