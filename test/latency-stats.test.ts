import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Redis } from 'ioredis';
import { globalKeys } from '../src/queue/keys.js';
import type { ModelSlug } from '../src/segmind/models.js';
import {
  lengthBucket,
  makeLatencyStats,
  priorMedianMs,
  updated,
  type Moments,
} from '../src/worker/latency-stats.js';
import { uniquePrefix, usePrivateRedisClients } from './helpers/redis.js';

const connections = usePrivateRedisClients(8);

const MODEL: ModelSlug = 'gemini-2.5-flash-tts';

function client(index = 0): Redis {
  const connection = connections[index];
  assert.ok(connection);
  return connection;
}

/** The moments stored for a model and for the length bucket of `chars`. */
async function stored(prefix: string, chars: number): Promise<{ model: Moments; bucket: Moments }> {
  const read = async (scope: string): Promise<Moments> => {
    const [mean, variance, count] = await client().hmget(
      globalKeys(prefix).latency,
      `${scope}:mean`,
      `${scope}:var`,
      `${scope}:n`,
    );
    return { mean: Number(mean), variance: Number(variance), count: Number(count) };
  };
  return { model: await read(MODEL), bucket: await read(`${MODEL}:len${lengthBucket(chars)}`) };
}

function assertClose(actual: Moments, expected: Moments, label: string): void {
  assert.equal(actual.count, expected.count, `${label}: count`);
  assert.ok(
    Math.abs(actual.mean - expected.mean) <= 1e-9,
    `${label}: mean ${actual.mean} vs ${expected.mean}`,
  );
  assert.ok(
    Math.abs(actual.variance - expected.variance) <= 1e-9,
    `${label}: variance ${actual.variance} vs ${expected.variance}`,
  );
}

test('the update in Redis gives the same moments as the TypeScript math', async () => {
  const prefix = uniquePrefix('l');
  const stats = makeLatencyStats(client(), prefix);
  // Two lengths in different buckets, so the model's moments and each bucket's diverge.
  const observations = Array.from({ length: 40 }, (_, i) => ({
    chars: i % 3 === 0 ? 40 : 300,
    latencyMs: 2000 + ((i * 7919) % 5000) + (i % 3 === 0 ? 0 : 4000),
  }));
  const empty: Moments = { mean: 0, variance: 0, count: 0 };
  let model = empty;
  const buckets = new Map<number, Moments>();
  for (const [index, { chars, latencyMs }] of observations.entries()) {
    await stats.observe(MODEL, chars, latencyMs);
    const ratio = Math.log(latencyMs / priorMedianMs(MODEL, chars));
    model = updated(model, ratio);
    const bucket = updated(buckets.get(lengthBucket(chars)) ?? empty, ratio);
    buckets.set(lengthBucket(chars), bucket);
    const actual = await stored(prefix, chars);
    assertClose(actual.model, model, `model after observation ${index}`);
    assertClose(actual.bucket, bucket, `bucket after observation ${index}`);
  }
  assert.equal(buckets.size, 2);
  // estimate() reads what the script wrote: the bucket has enough observations of its own.
  const bucket = buckets.get(lengthBucket(300));
  assert.ok(bucket);
  const estimate = await stats.estimate(MODEL, 300);
  assert.equal(estimate.observations, bucket.count);
  assert.ok(Math.abs(estimate.medianMs - priorMedianMs(MODEL, 300) * Math.exp(bucket.mean)) < 1e-6);
  assert.ok(Math.abs(estimate.sigma - Math.sqrt(bucket.variance)) < 1e-9);
});

test('observations from many workers at once are all counted', async () => {
  const prefix = uniquePrefix('c');
  const perConnection = 50;
  const chars = 180;
  await Promise.all(
    connections.map((connection, c) => {
      const stats = makeLatencyStats(connection, prefix);
      return Promise.all(
        Array.from({ length: perConnection }, (_, i) => stats.observe(MODEL, chars, 3000 + c * 100 + i)),
      );
    }),
  );
  const total = connections.length * perConnection;
  const actual = await stored(prefix, chars);
  assert.equal(actual.model.count, total, 'model observations');
  assert.equal(actual.bucket.count, total, 'bucket observations');
  assert.ok(Number.isFinite(actual.model.mean) && Number.isFinite(actual.model.variance));
});

test('a latency that is not a positive finite number is not observed', async () => {
  const prefix = uniquePrefix('z');
  const stats = makeLatencyStats(client(), prefix);
  await stats.observe(MODEL, 100, 0);
  await stats.observe(MODEL, 100, NaN);
  await stats.observe(MODEL, 100, Infinity);
  assert.equal(await client().exists(globalKeys(prefix).latency), 0);
  assert.deepEqual(await stats.estimate(MODEL, 100), {
    medianMs: priorMedianMs(MODEL, 100),
    sigma: 0.5,
    observations: 0,
  });
});
