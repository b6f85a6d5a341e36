import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { NOTIFY_QUEUE } from '../src/notify/notify-queue.js';
import { signWebhook, verifyWebhook } from '../src/notify/webhook-signature.js';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { enqueueRowsOk } from './helpers/enqueue-rows.js';
import { nightRows, type Night } from './helpers/night.js';
import { nightKit } from './helpers/night-kit.js';
import { until } from './helpers/processes.js';
import { startWebhookReceiver, type Delivery, type WebhookReceiver } from './helpers/webhook-receiver.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});
const { night, worker, finished } = nightKit(cleanups);

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;

async function receiver(rule: Parameters<typeof startWebhookReceiver>[0]): Promise<WebhookReceiver> {
  const started = await startWebhookReceiver(rule);
  cleanups.push(() => started.close());
  return started;
}

/** Resolves once the notify job of `id` is completed (nothing more will be sent for it). */
async function deliveredFor(n: Night, id: string): Promise<void> {
  const connection = new Redis(n.redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue(NOTIFY_QUEUE, { connection, prefix: n.env['TTS_QUEUE_PREFIX'] ?? '' });
  try {
    await until(async () => (await queue.getJobState(id)) === 'completed', `notify job ${id} to complete`);
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

function assertSigned(delivery: Delivery): void {
  const headers = {
    'webhook-id': delivery.id,
    'webhook-timestamp': delivery.timestamp,
    'webhook-signature': delivery.signature,
  };
  const nowS = Math.floor(Date.now() / 1000);
  assert.ok(verifyWebhook(SECRET, headers, delivery.body, nowS), `signature of ${delivery.id}`);
  assert.equal(verifyWebhook(SECRET, headers, `${delivery.body} `, nowS), false, 'a changed body fails');
  assert.equal(verifyWebhook('whsec_b3RoZXI=', headers, delivery.body, nowS), false, 'another secret fails');
}

test('signatures match the Standard Webhooks test vector', () => {
  const signature = signWebhook(
    'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    'msg_p5jXN8AQM9LWM0D4loKWxJek',
    1614265330,
    '{"test": 2432232314}',
  );
  assert.equal(signature, 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  const headers = {
    'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    'webhook-timestamp': '1614265330',
    'webhook-signature': `v1,bm9wZQ== ${signature}`,
  };
  const body = '{"test": 2432232314}';
  assert.ok(verifyWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', headers, body, 1614265330 + 10));
  assert.equal(
    verifyWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', headers, body, 1614265330 + 3600),
    false,
  );
});

test('run.finished: a receiver failing twice then accepting gets it exactly once, signed; the command runs once', async () => {
  const hooks = await receiver((n) => (n <= 2 ? 503 : 200));
  const n = await night();
  const commandLog = join(n.target.outRoot, 'notified.txt');
  const env = {
    ...n.env,
    TTS_NOTIFY_URL: hooks.url,
    TTS_NOTIFY_SECRET: SECRET,
    TTS_NOTIFY_CMD: `printf '%s %s %s %s %s\\n' "$TTS_EVENT_TYPE" "$TTS_EVENT_ID" "$TTS_COMPLETED" "$TTS_COST_USD" "\${SEGMIND_API_KEY:-withheld}" >> '${commandLog}'`,
  };
  const rows = nightRows(5, 'notify');
  await enqueueRowsOk(n.target, rows);
  worker(env, 3);
  const entries = await finished(n, rows.length);
  assertBilledAtMostRecorded(n.sim.ledger(), entries);
  await until(() => hooks.accepted().length === 1, 'the event to be accepted');
  const [accepted] = hooks.accepted();
  assert.ok(accepted);
  await deliveredFor(n, accepted.id);

  assert.equal(hooks.deliveries.length, 3, 'two refused attempts, then the accepted one');
  assert.ok(hooks.deliveries.every((d) => d.id === accepted.id && d.body === accepted.body));
  assert.match(accepted.id, /^evt_[0-9a-f]{32}$/);
  for (const delivery of hooks.deliveries) assertSigned(delivery);
  const body = JSON.parse(accepted.body) as {
    type: string;
    timestamp: string;
    data: Record<string, unknown>;
  };
  assert.equal(body.type, 'run.finished');
  const { data } = body;
  assert.equal(data['run'], 'night');
  assert.deepEqual([data['rows'], data['completed'], data['failed'], data['pending']], [5, 5, 0, 0]);
  const cost = entries.reduce((sum, entry) => sum + Number(entry['cost']), 0);
  assert.ok(Math.abs(Number(data['cost_usd']) - cost) < 1e-6, `cost ${String(data['cost_usd'])} vs ${cost}`);
  const audio = entries.reduce((sum, entry) => sum + Number(entry['duration_s']), 0);
  assert.ok(
    Math.abs(Number(data['audio_seconds']) - audio) < 0.01 * rows.length,
    `audio ${String(data['audio_seconds'])}`,
  );
  const outputs = data['outputs'] as Record<string, string>;
  assert.equal(outputs['manifest_json'], join(n.outDir, 'manifest.json'));
  assert.ok(existsSync(outputs['manifest_json'] ?? ''), 'the manifest it points at exists');

  const ran = (await readFile(commandLog, 'utf8')).trim().split('\n');
  assert.deepEqual(ran, [`run.finished ${accepted.id} 5 ${String(data['cost_usd'])} withheld`]);
});

test('run.halted: a 401 halt is told once, with the reason and the rows still to do', async () => {
  const hooks = await receiver(() => 204);
  const n = await night();
  const env = {
    ...n.env,
    SEGMIND_API_KEY: 'SG_wrong-key',
    TTS_NOTIFY_URL: hooks.url,
    TTS_NOTIFY_SECRET: SECRET,
  };
  const rows = nightRows(6, 'halted');
  await enqueueRowsOk(n.target, rows);
  worker(env, 4);
  worker(env, 4);
  await until(() => hooks.accepted().length >= 1, 'run.halted to arrive');
  const [accepted] = hooks.accepted();
  assert.ok(accepted);
  await deliveredFor(n, accepted.id);
  assert.equal(hooks.deliveries.length, 1, 'one event, however many rows and workers met the 401');
  assertSigned(accepted);
  const body = JSON.parse(accepted.body) as { type: string; data: Record<string, unknown> };
  assert.equal(body.type, 'run.halted');
  assert.match(String(body.data['reason']), /401/);
  assert.equal(body.data['pending'], rows.length);
  assert.equal(n.sim.ledger().submits.length, 0, 'nothing billed');
});
