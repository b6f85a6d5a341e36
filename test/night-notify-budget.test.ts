import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { raiseBudgetReached } from '../src/notify/budget-event.js';
import { makeNotifyWorker } from '../src/notify/notify-worker.js';
import { makeRunNotifier, NOTIFY_QUEUE } from '../src/notify/notify-queue.js';
import { verifyWebhook } from '../src/notify/webhook-signature.js';
import { enqueueRowsOk } from './helpers/enqueue-rows.js';
import { nightRows } from './helpers/night.js';
import { nightKit } from './helpers/night-kit.js';
import { until } from './helpers/processes.js';
import { startWebhookReceiver } from './helpers/webhook-receiver.js';
import { captureLogger } from './helpers/worker.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});
const { night } = nightKit(cleanups);

test('run.budget_reached: told once per limit however often it is raised, and again for a raised limit', async () => {
  const hooks = await startWebhookReceiver(() => 200);
  cleanups.push(() => hooks.close());
  const n = await night();
  const rows = nightRows(3, 'budget');
  await enqueueRowsOk(n.target, rows);
  const prefix = n.env['TTS_QUEUE_PREFIX'] ?? '';
  const logger = captureLogger([]);
  const secret = 'a raw secret';
  const notifier = makeRunNotifier({ redis: n.client, prefix, enabled: true, logger });
  cleanups.push(() => notifier.close());
  const connection = new Redis(n.redis.url, { maxRetriesPerRequest: null });
  const worker = makeNotifyWorker({
    connection,
    prefix,
    url: hooks.url,
    secret,
    command: undefined,
    logger,
    lockDurationMs: 2000,
  });
  cleanups.push(async () => {
    await worker.close();
    connection.disconnect();
  });

  const reach = (limitUsd: number) =>
    raiseBudgetReached({
      notifier,
      redis: n.client,
      prefix,
      run: 'night',
      limitUsd,
      spentUsd: limitUsd,
      nowMs: Date.now(),
      logger,
    });
  await Promise.all([reach(1), reach(1), reach(1)]);
  await reach(2);
  await until(() => hooks.accepted().length === 2, 'both limits to be told');
  const queue = new Queue(NOTIFY_QUEUE, { connection: n.client, prefix });
  await until(async () => (await queue.getJobCounts('completed'))['completed'] === 2, 'the jobs to complete');
  assert.equal(await queue.count(), 0, 'nothing else queued');
  await queue.close();

  assert.equal(hooks.deliveries.length, 2);
  const [first, second] = hooks.deliveries;
  assert.ok(first && second && first.id !== second.id);
  const bodies = hooks.deliveries.map(
    (d) => JSON.parse(d.body) as { type: string; data: Record<string, unknown> },
  );
  assert.deepEqual(
    bodies.map((b) => b.type),
    ['run.budget_reached', 'run.budget_reached'],
  );
  assert.match(String(bodies[0]?.data['reason']), /\$1\.0000 spent or reserved of \$1\.0000/);
  assert.match(String(bodies[1]?.data['reason']), /of \$2\.0000/);
  assert.equal(bodies[0]?.data['pending'], rows.length);
  const nowS = Math.floor(Date.now() / 1000);
  for (const d of hooks.deliveries) {
    const headers = {
      'webhook-id': d.id,
      'webhook-timestamp': d.timestamp,
      'webhook-signature': d.signature,
    };
    assert.ok(verifyWebhook(secret, headers, d.body, nowS), 'signed with the raw secret');
  }
});
