import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { NOTIFY_QUEUE } from '../src/notify/notify-queue.js';
import { verifyWebhook } from '../src/notify/webhook-signature.js';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { enqueueRowsOk } from './helpers/enqueue-rows.js';
import { nightRows } from './helpers/night.js';
import { nightKit } from './helpers/night-kit.js';
import { finishedManifest, spawnWorker, until, type SpawnedWorker } from './helpers/processes.js';
import { startWebhookReceiver } from './helpers/webhook-receiver.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});
const { night } = nightKit(cleanups);

function spawned(env: Record<string, string>): SpawnedWorker {
  const child = spawnWorker(env);
  cleanups.push(() => child.kill('SIGKILL'));
  return child;
}

test('run.finished is delivered exactly once when the worker sending it is killed mid-delivery', async () => {
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  // Refused twice, the third attempt held unanswered (its sender is killed), then accepted.
  const hooks = await startWebhookReceiver((n) => (n <= 2 ? 500 : n === 3 ? 'hold' : 200));
  cleanups.push(() => hooks.close());
  const n = await night();
  const env = { ...n.env, TTS_NOTIFY_URL: hooks.url, TTS_NOTIFY_SECRET: secret, LOG_LEVEL: 'info' };
  const rows = nightRows(4, 'killed');
  await enqueueRowsOk(n.target, rows);
  const victim = spawned(env);
  await until(() => hooks.deliveries.length === 3, 'the third delivery to be held', 1200);
  const entries = finishedManifest(n.outDir, rows.length);
  assert.ok(entries, 'the run finished before its event was sent');
  await victim.kill('SIGKILL');
  assert.equal(hooks.accepted().length, 0);

  const rescuer = spawned(env);
  await until(() => hooks.accepted().length === 1, 'another worker to deliver the event', 1200);
  const [accepted] = hooks.accepted();
  assert.ok(accepted);
  const connection = new Redis(n.redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue(NOTIFY_QUEUE, { connection, prefix: n.env['TTS_QUEUE_PREFIX'] ?? '' });
  try {
    await until(
      async () => (await queue.getJobState(accepted.id)) === 'completed',
      'the notify job to complete',
    );
    assert.equal(await queue.count(), 0, 'no other notify job waits');
  } finally {
    await queue.close();
    connection.disconnect();
  }
  await rescuer.kill('SIGTERM');

  assert.equal(hooks.deliveries.length, 4, hooks.deliveries.map((d) => d.answer).join(','));
  assert.deepEqual(
    hooks.deliveries.map((d) => d.answer),
    [500, 500, 'held', 200],
  );
  assert.ok(
    hooks.deliveries.every((d) => d.id === accepted.id && d.body === accepted.body),
    'one event',
  );
  const nowS = Math.floor(Date.now() / 1000);
  for (const d of hooks.deliveries) {
    const headers = {
      'webhook-id': d.id,
      'webhook-timestamp': d.timestamp,
      'webhook-signature': d.signature,
    };
    assert.ok(verifyWebhook(secret, headers, d.body, nowS), 'signed');
  }
  assert.equal((JSON.parse(accepted.body) as { type: string }).type, 'run.finished');
  assertBilledAtMostRecorded(n.sim.ledger(), entries);
});
