import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ManifestEntry } from '../src/output/manifest-entry.js';
import { manifestEntryFixture } from './helpers/manifest-entry.js';
import { runKeys } from '../src/queue/keys.js';
import { recordOutcome } from '../src/queue/run-outcomes.js';
import { uniquePrefix, usePrivateRedisClients } from './helpers/redis.js';

const connections = usePrivateRedisClients(8);

const entry = (id: string, hash: string): ManifestEntry => manifestEntryFixture({ id, content_hash: hash });

test('when several workers record the last rows at once, exactly one sees the run finished', async () => {
  for (let round = 0; round < 20; round += 1) {
    const prefix = uniquePrefix('o');
    const ids = Array.from({ length: 8 }, (_, i) => `row${i}`);
    const [first] = connections;
    assert.ok(first);
    await first.hset(runKeys(prefix, 'r').rows, Object.fromEntries(ids.map((id) => [id, 'h'])));
    const results = await Promise.all(
      ids.map((id, i) => recordOutcome(connections[i] ?? first, prefix, 'r', entry(id, 'h'))),
    );
    assert.ok(results.every((result) => result.recorded));
    assert.equal(results.filter((result) => result.finished).length, 1, `round ${round}`);
  }
});

test('an outcome for content that was re-enqueued since is not recorded', async () => {
  const prefix = uniquePrefix('s');
  const [client] = connections;
  assert.ok(client);
  await client.hset(runKeys(prefix, 'r').rows, 'a', 'new-hash', 'b', 'h');
  assert.deepEqual(await recordOutcome(client, prefix, 'r', entry('a', 'old-hash')), {
    recorded: false,
    finished: false,
  });
  assert.equal(await client.hexists(runKeys(prefix, 'r').outcomes, 'a'), 0);
  assert.deepEqual(await recordOutcome(client, prefix, 'r', entry('b', 'h')), {
    recorded: true,
    finished: false,
  });
  assert.deepEqual(await recordOutcome(client, prefix, 'r', entry('a', 'new-hash')), {
    recorded: true,
    finished: true,
  });
});

test('a row recorded again after the run finished asks for the final manifests again', async () => {
  const prefix = uniquePrefix('a');
  const [client] = connections;
  assert.ok(client);
  await client.hset(runKeys(prefix, 'r').rows, 'only', 'h');
  assert.equal((await recordOutcome(client, prefix, 'r', entry('only', 'h'))).finished, true);
  assert.equal((await recordOutcome(client, prefix, 'r', entry('only', 'h'))).finished, true);
});
