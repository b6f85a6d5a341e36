import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { runKeys } from '../src/queue/keys.js';
import type { RowOutcome } from '../src/queue/row-outcome-codec.js';
import { recordRowOutcome } from '../src/queue/run-outcomes.js';
import { enqueueRowsOk, type EnqueueTarget } from './helpers/enqueue-rows.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';

let server: PrivateRedis;
let outRoot: string;
const clients: Redis[] = [];
before(async () => {
  server = await startPrivateRedis();
  outRoot = await mkdtemp(join(tmpdir(), 'tts-outcomes-'));
  for (let i = 0; i < 8; i += 1) clients.push(new Redis(server.url));
});
after(async () => {
  for (const client of clients) client.disconnect();
  await server.stop();
  await rm(outRoot, { recursive: true, force: true });
});

/** A run enqueued through the product; resolves to each row's content hash. */
async function enqueued(texts: readonly string[]): Promise<{ prefix: string; hashes: Map<string, string> }> {
  const prefix = uniquePrefix('o');
  const target: EnqueueTarget = {
    env: { REDIS_URL: server.url, TTS_QUEUE_PREFIX: prefix },
    run: 'r',
    outRoot: join(outRoot, prefix),
    scriptPath: join(outRoot, prefix, 'script.jsonl'),
  };
  await enqueueRowsOk(
    target,
    texts.map((text, i) => ({ id: `row${i}`, text })),
  );
  const [client] = clients;
  assert.ok(client);
  return { prefix, hashes: new Map(Object.entries(await client.hgetall(runKeys(prefix, 'r').rows))) };
}

const completed = (contentHash: string): RowOutcome => ({
  status: 'completed',
  contentHash,
  file: 'x.wav',
  bytes: 10,
  audioSha256: 'a',
  submits: 1,
  error: null,
  retry: null,
});
const stats = { audioMs: 1000, costUsd: 0.01 };

test('when several workers record the last rows at once, exactly one sees the run finished', async () => {
  for (let round = 0; round < 10; round += 1) {
    const { prefix, hashes } = await enqueued(
      Array.from({ length: 8 }, (_, i) => `Text ${i} of round ${round}.`),
    );
    const results = await Promise.all(
      [...hashes].map(([id, hash], i) =>
        recordRowOutcome(
          clients[i] ?? (clients[0] as Redis),
          prefix,
          'r',
          id,
          completed(hash),
          stats,
          Date.now(),
        ),
      ),
    );
    assert.ok(results.every((result) => result.result === 'recorded'));
    assert.equal(results.filter((result) => result.finished).length, 1, `round ${round}`);
  }
});

test('an outcome is counted once; a stale or forgotten row records nothing', async () => {
  const { prefix, hashes } = await enqueued(['Only once.', 'The other one.']);
  const [client] = clients;
  assert.ok(client);
  const [[first, hash] = ['', ''], [second, other] = ['', '']] = [...hashes];
  const now = Date.now();
  assert.equal(
    (await recordRowOutcome(client, prefix, 'r', first, completed(hash), stats, now)).result,
    'recorded',
  );
  const again = await recordRowOutcome(client, prefix, 'r', first, completed(hash), stats, now);
  assert.equal(again.result, 'duplicate');
  assert.equal(again.lined, false);
  assert.equal(
    (await recordRowOutcome(client, prefix, 'r', second, completed('old'), stats, now)).result,
    'stale',
  );
  assert.equal(
    (await recordRowOutcome(client, prefix, 'r', 'nosuch', completed(other), stats, now)).result,
    'forgotten',
  );
  const counters = await client.hgetall(runKeys(prefix, 'r').stats);
  assert.equal(counters['completed'], '1');
  assert.equal(counters['audio_ms'], '1000');
  const last = await recordRowOutcome(client, prefix, 'r', second, completed(other), stats, now);
  assert.deepEqual([last.result, last.finished], ['recorded', true]);
});
