import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { checkRedisServer } from '../src/redis/server-checks.js';
import { startPrivateRedis, type PrivateRedis } from './helpers/redis.js';

// startPrivateRedis starts servers with `--save '' --appendonly no --maxmemory-policy noeviction`;
// the eviction policy of a server is changed with CONFIG SET, which is what the server runs with.
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

function connect(url: string, options: { username?: string; password?: string } = {}): Redis {
  const client = new Redis(url, options);
  clients.push(client);
  return client;
}

test('a Redis with neither AOF nor RDB snapshots is a warning; with AOF, none', async () => {
  const none = await checkRedisServer(connect(bare.url), { allowEviction: false });
  assert.equal(none.refusal, undefined);
  assert.equal(none.warnings.length, 1);
  assert.match(
    none.warnings[0] ?? '',
    /neither AOF nor RDB snapshots: a restart loses the state of every run/,
  );

  assert.deepEqual(await checkRedisServer(connect(durable.url), { allowEviction: false }), {
    warnings: [],
    refusal: undefined,
  });
  const rdbOnly = connect(bare.url);
  await rdbOnly.config('SET', 'save', '3600 1');
  try {
    assert.deepEqual((await checkRedisServer(rdbOnly, { allowEviction: false })).warnings, []);
  } finally {
    await rdbOnly.config('SET', 'save', '');
  }
});

test('an evicting maxmemory-policy is refused unless TTS_ALLOW_EVICTION allows it', async () => {
  const admin = connect(durable.url);
  await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
  try {
    const refused = await checkRedisServer(admin, { allowEviction: false });
    assert.match(refused.refusal ?? '', /maxmemory-policy is `allkeys-lru`/);
    assert.match(refused.refusal ?? '', /noeviction/);
    assert.match(refused.refusal ?? '', /TTS_ALLOW_EVICTION=1/);
    const allowed = await checkRedisServer(admin, { allowEviction: true });
    assert.equal(allowed.refusal, undefined);
    assert.match(allowed.warnings.join('\n'), /allkeys-lru.*going on: TTS_ALLOW_EVICTION=1/);
    await admin.config('SET', 'maxmemory-policy', 'volatile-lru');
    assert.match((await checkRedisServer(admin, { allowEviction: false })).refusal ?? '', /volatile-lru/);
  } finally {
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
  }
});

test('a managed Redis that refuses CONFIG: persistence could not be checked', async () => {
  const admin = connect(bare.url);
  await admin.call('ACL', 'SETUSER', 'app', 'on', '>secret-pw', '~*', '&*', '+@all', '-config');
  const limited = connect(bare.url, { username: 'app', password: 'secret-pw' });
  const check = await checkRedisServer(limited, { allowEviction: false });
  assert.equal(check.refusal, undefined);
  assert.match(
    check.warnings.join('\n'),
    /persistence could not be checked: AOF is off and CONFIG GET save was refused/,
  );
});
