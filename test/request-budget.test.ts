import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { makeRequestBudget, slotIntervalMs } from '../src/worker/request-budget.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';

let redis: PrivateRedis;
let client: Redis;
const extra: Redis[] = [];
const connect = () => {
  const connection = new Redis(redis.url);
  extra.push(connection);
  return connection;
};
before(async () => {
  redis = await startPrivateRedis();
  client = new Redis(redis.url);
});
after(async () => {
  for (const connection of extra) connection.disconnect();
  client.disconnect();
  await redis.stop();
});

async function serverNowMs(): Promise<number> {
  const [seconds, micros] = await client.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

test('the slot interval keeps rpm + 1 calls out of any minute', () => {
  assert.equal(slotIntervalMs(50), 1212);
  assert.ok(slotIntervalMs(60) * 60 > 60_000);
});

test('two processes sharing one budget never go faster than the rate, together', async () => {
  const rpm = 6000; // one slot per ~10 ms
  const prefix = uniquePrefix('b');
  const first = makeRequestBudget({ redis: connect(), prefix, rpm });
  const second = makeRequestBudget({ redis: connect(), prefix, rpm });
  const start = await serverNowMs();
  const grants: number[] = [];
  const take = async (budget: typeof first) => {
    for (let i = 0; i < 40; i += 1) {
      await budget.acquire();
      grants.push(await serverNowMs());
    }
  };
  await Promise.all([take(first), take(second)]);
  const elapsedMs = Math.max(...grants) - start;
  // 80 calls need 79 intervals after the first, whoever makes them.
  assert.ok(elapsedMs >= 79 * slotIntervalMs(rpm) - 5, `80 calls took only ${elapsedMs} ms`);
});

test('a 429 holds every caller of the budget', async () => {
  const prefix = uniquePrefix('h');
  const budget = makeRequestBudget({ redis: client, prefix, rpm: 100_000 });
  await budget.acquire();
  await budget.backOff(300);
  const start = await serverNowMs();
  await makeRequestBudget({ redis: connect(), prefix, rpm: 100_000 }).acquire();
  assert.ok((await serverNowMs()) - start >= 280, 'the other caller waited out the hold');
});

test('a waiting caller stops when its signal aborts', async () => {
  const prefix = uniquePrefix('a');
  const budget = makeRequestBudget({ redis: client, prefix, rpm: 1 });
  await budget.acquire();
  const controller = new AbortController();
  const waiting = budget.acquire(controller.signal);
  controller.abort(new Error('stop'));
  await assert.rejects(waiting, /stop|abort/i);
});
