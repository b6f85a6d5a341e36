import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { makeRunLoudness, runLoudnessKey } from '../src/qa/run-loudness.js';
import { makeSpeakingRateStore, speakingRateKey } from '../src/qa/speaking-rate.js';
import { uniquePrefix } from './helpers/redis.js';

const redis = new Redis('redis://127.0.0.1:6379');
const prefixes: string[] = [];
after(async () => {
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  redis.disconnect();
});

function store(options: { minSamples?: number; alpha?: number } = {}) {
  const prefix = uniquePrefix('qa-rate');
  prefixes.push(prefix);
  return { prefix, rates: makeSpeakingRateStore(redis, { prefix, priorCharsPerSecond: 15, ...options }) };
}

const TEXT = 'x'.repeat(120);

test('the prior until enough clips passed, then their mean, per model and voice, under the queue prefix', async () => {
  const { prefix, rates } = store({ minSamples: 3 });
  assert.equal(await rates.rateFor('gemini-2.5-flash-tts', 'Kore'), 15);
  // 120 characters in 10 s and in 8 s: 12 and 15 chars/s.
  assert.equal(await rates.record('gemini-2.5-flash-tts', 'Kore', TEXT, 10), 12);
  assert.equal(await rates.record('gemini-2.5-flash-tts', 'Kore', TEXT, 8), 13.5);
  assert.equal(await rates.rateFor('gemini-2.5-flash-tts', 'Kore'), 15, 'two clips are not enough yet');
  // And 10 chars/s: the mean of the three.
  const third = await rates.record('gemini-2.5-flash-tts', 'Kore', TEXT, 12);
  assert.ok(third !== undefined && Math.abs(third - 37 / 3) < 1e-9, `${third}`);
  assert.equal(await rates.rateFor('gemini-2.5-flash-tts', 'Kore'), third);
  // Other voices and models learn apart; no voice is the model's default.
  assert.equal(await rates.rateFor('gemini-2.5-flash-tts', 'Puck'), 15);
  assert.equal(await rates.rateFor('gemini-2.5-pro-tts', 'Kore'), 15);
  await rates.record('gemini-2.5-pro-tts', null, TEXT, 10);
  assert.deepEqual(await redis.hgetall(speakingRateKey(prefix, 'gemini-2.5-pro-tts', null)), {
    n: '1',
    cps: '12',
  });
  assert.ok(speakingRateKey(prefix, 'm', 'v').startsWith(`${prefix}:`));
});

test('once warmed up, an exponentially weighted average that follows a change slowly', async () => {
  const { rates } = store({ minSamples: 1, alpha: 0.1 });
  for (let i = 0; i < 10; i += 1) await rates.record('m', 'v', TEXT, 10);
  assert.equal(await rates.rateFor('m', 'v'), 12);
  // One clip at 24 chars/s moves it by a tenth of the difference.
  const moved = await rates.record('m', 'v', TEXT, 5);
  assert.ok(moved !== undefined && Math.abs(moved - 13.2) < 1e-9, `${moved}`);
});

test('clips too short or at implausible rates teach nothing', async () => {
  const { rates } = store({ minSamples: 1 });
  assert.equal(await rates.record('m', 'v', 'Hi.', 0.4), undefined);
  assert.equal(await rates.record('m', 'v', TEXT, 60), undefined, '2 chars/s');
  assert.equal(await rates.record('m', 'v', TEXT, 1.5), undefined, '80 chars/s');
  assert.equal(await rates.rateFor('m', 'v'), 15);
});

test('workers recording at once lose no clip (the update is one Lua script)', async () => {
  const { prefix, rates } = store();
  const others = [new Redis('redis://127.0.0.1:6379'), new Redis('redis://127.0.0.1:6379')];
  try {
    const stores = [
      rates,
      ...others.map((client) => makeSpeakingRateStore(client, { prefix, priorCharsPerSecond: 15 })),
    ];
    await Promise.all(
      stores.flatMap((each) => Array.from({ length: 20 }, () => each.record('m', 'v', TEXT, 10))),
    );
    assert.equal(await redis.hget(speakingRateKey(prefix, 'm', 'v'), 'n'), '60');
    assert.equal(await rates.rateFor('m', 'v'), 12);
  } finally {
    for (const client of others) client.disconnect();
  }
});

test("the run's median loudness: by rank over its rows, a re-take replacing its row's value", async () => {
  const prefix = uniquePrefix('qa-lufs');
  prefixes.push(prefix);
  const loudness = makeRunLoudness(redis, { prefix, minClips: 3 });
  await loudness.record('r1', 'a', -20);
  await loudness.record('r1', 'b', -24);
  assert.equal(await loudness.median('r1'), undefined, 'two clips are too few');
  await loudness.record('r1', 'c', -21.5);
  assert.equal(await loudness.median('r1'), -21.5);
  await loudness.record('r1', 'd', -30);
  assert.equal(await loudness.median('r1'), -22.75);
  // A re-take of b, louder: its row counts once, at its new value.
  await loudness.record('r1', 'b', -19);
  assert.equal(await loudness.median('r1'), -20.75);
  assert.equal(await redis.zcard(runLoudnessKey(prefix, 'r1')), 4);
  assert.equal(await loudness.median('r2'), undefined, 'runs are apart');
  await loudness.record('r1', 'e', Number.NEGATIVE_INFINITY);
  assert.equal(
    await redis.zcard(runLoudnessKey(prefix, 'r1')),
    4,
    'a loudness under the gate is not a value',
  );
});
