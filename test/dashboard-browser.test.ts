import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test, type TestContext } from 'node:test';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { chromium, type Browser } from 'playwright-core';
import { startDashboard, type RunningDashboard } from '../src/dashboard/server.js';
import { globalKeys, ROWS_QUEUE } from '../src/queue/keys.js';
import { loadSettings } from '../src/settings.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';
import { failuresByReason, runThroughFaults } from './helpers/dashboard-run.js';
import { until } from './helpers/processes.js';
import { addRows } from './helpers/rows.js';

// Debian's chromium, driven by playwright-core; this test installs nothing itself.
const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is absent: install it with \`apt-get install -y chromium\` to run the browser test`;

let redis: PrivateRedis | undefined;
let dashboard: RunningDashboard | undefined;
let browser: Browser | undefined;
const RUN = 'chapter-one';

before(async () => {
  if (skip) return;
  redis = await startPrivateRedis();
  const prefix = uniquePrefix('b');
  await addRows(redis.url, prefix, RUN, `/tmp/${prefix}/${RUN}`, [
    { id: 'a', text: 'It was a dark and stormy night.' },
    { id: 'b', text: 'The rain fell in torrents.' },
  ]);
  const client = new Redis(redis.url);
  await client.zadd(globalKeys(prefix).runs, Date.now(), RUN);
  client.disconnect();
  dashboard = await startDashboard({
    settings: loadSettings({ REDIS_URL: redis.url, TTS_QUEUE_PREFIX: prefix }),
    port: 0,
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

after(async () => {
  await browser?.close();
  await dashboard?.close();
  await redis?.stop();
});

test('the runs page shows the queue and the run with its progress', { skip }, async () => {
  assert.ok(browser && dashboard);
  const page = await browser.newPage();
  await page.goto(`${dashboard.url}/`);
  assert.equal(await page.locator('#queue-name').textContent(), 'rows');
  const row = page.locator(`tr[data-run="${RUN}"]`);
  assert.equal(await row.locator('td.run').textContent(), RUN);
  assert.equal(await row.locator('progress').getAttribute('value'), '0');
  await page.close();
});

test("bull-board, rendered in the browser, lists the queue and the run's jobs", { skip }, async () => {
  assert.ok(browser && dashboard);
  const page = await browser.newPage();
  await page.goto(`${dashboard.url}/queues`);
  // The board is a client-side app: wait for it to render the queue from its API.
  await page.getByText('rows', { exact: true }).first().waitFor();
  await page.goto(`${dashboard.url}/queues/queue/rows?status=waiting`);
  await page.getByText(`${RUN}/a/`, { exact: false }).first().waitFor();
  await page.close();
});

test(
  'after a real run through faults, the runs page shows its failures by reason, files, rate and API answers',
  { skip },
  async (t) => {
    assert.ok(browser);
    const { night, entries } = await runThroughFaults();
    const board = await startDashboard({ settings: loadSettings(night.env), port: 0 });
    t.after(async () => {
      await board.close();
      await night.close();
    });
    const { r429, r5xx } = night.sim.ledger().counts;
    // The workers count answers without awaiting: wait until the last ones are in.
    await until(
      async () => (await (await fetch(`${board.url}/metrics`)).text()).includes('class="429"} '),
      '429s in /metrics',
      100,
      100,
    );
    const page = await browser.newPage();
    t.after(() => page.close());
    await page.goto(`${board.url}/`);
    const row = page.locator('tr[data-run="night"]');
    assert.equal(await row.locator('progress').getAttribute('value'), '100');
    assert.equal(await row.locator('td.eta').textContent(), 'finished');
    assert.match((await row.locator('td.rate').textContent()) ?? '', /^\d+\.\d$/);
    const details = page.locator('tr[data-run-details="night"]');
    assert.equal(await details.locator('code.out-dir').textContent(), night.outDir);
    const shown = (await details.locator('ul.failures li').allTextContents()).sort();
    const expected = [...failuresByReason(entries)].map(([reason, rows]) => `${rows} ${reason}`).sort();
    assert.ok(expected.length > 0, 'some rows failed');
    assert.deepEqual(shown, expected);
    assert.equal(await page.locator('#api-answers [data-class="429"]').textContent(), `429: ${r429}`);
    assert.equal(await page.locator('#api-answers [data-class="5xx"]').textContent(), `5xx: ${r5xx}`);
    assert.match((await page.locator('p.note').textContent()) ?? '', /Completed tab .* stays empty/);
    // bull-board says it too: the queue's description (an info tip beside its name).
    const { queues } = (await (await fetch(`${board.url}/queues/api/queues`)).json()) as {
      queues: { name: string; description?: string }[];
    };
    assert.match(queues[0]?.description ?? '', /Completed stays empty/);
  },
);

const USER = { username: 'ops', password: 'browser-pw' };

/** A dashboard with basic auth over its own run of two rows, one of them failed. */
async function lockedBoard(t: TestContext) {
  assert.ok(redis);
  const prefix = uniquePrefix('bx');
  await addRows(redis.url, prefix, RUN, `/tmp/${prefix}/${RUN}`, [
    { id: 'a', text: 'It was a dark and stormy night.' },
    { id: 'b', text: 'The rain fell in torrents.' },
  ]);
  const client = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue(ROWS_QUEUE, { connection: client, prefix });
  const worker = new Worker(ROWS_QUEUE, null, {
    connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null },
    prefix,
  });
  const failing = await worker.getNextJob('token');
  assert.ok(failing?.id);
  await failing.moveToFailed(new UnrecoverableError('refused'), 'token');
  await worker.close();
  const locked = await startDashboard({
    settings: loadSettings({
      REDIS_URL: redis.url,
      TTS_QUEUE_PREFIX: prefix,
      TTS_DASHBOARD_USER: USER.username,
      TTS_DASHBOARD_PASSWORD: USER.password,
    }),
    port: 0,
  });
  t.after(async () => {
    await locked.close();
    await queue.close();
    const keys = await client.keys(`${prefix}:*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  });
  const counts = () => queue.getJobCounts('wait', 'delayed', 'failed', 'active', 'prioritized');
  return { locked, queue, counts, failed: failing.id };
}

test(
  'a page on another site that posts a form to bull-board adds no job, credentials cached',
  { skip },
  async (t) => {
    assert.ok(browser);
    const { locked, counts } = await lockedBoard(t);
    const addUrl = `${locked.url}/queues/api/queues/${ROWS_QUEUE}/add`;
    // The classic CSRF form: text/plain, so that the browser sends it without asking (no preflight).
    const evil = createServer((_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end(`<!doctype html><form method="POST" action="${addUrl}" enctype="text/plain">
<input name='{"name":"row","data":{"outDir":"/tmp/elsewhere"},"x":"' value='"}'></form>
<script>document.forms[0].submit()</script>`);
    });
    evil.listen(0, '127.0.0.1');
    await once(evil, 'listening');
    t.after(() => evil.close());
    const before = await counts();
    const context = await browser.newContext({ httpCredentials: { ...USER, origin: locked.url } });
    t.after(() => context.close());
    const page = await context.newPage();
    // localhost and 127.0.0.1 are different sites: the browser sends Sec-Fetch-Site: cross-site.
    await page.goto(`http://localhost:${(evil.address() as AddressInfo).port}/`);
    await page.waitForURL(addUrl);
    assert.match((await page.textContent('body')) ?? '', /cross-origin request refused/);
    assert.deepEqual(await counts(), before);
  },
);

test("bull-board's own page still retries a failed job, and is refused an added job", { skip }, async (t) => {
  assert.ok(browser);
  const { locked, queue, counts, failed } = await lockedBoard(t);
  const context = await browser.newContext({ httpCredentials: { ...USER, origin: locked.url } });
  t.after(() => context.close());
  const page = await context.newPage();
  await page.goto(`${locked.url}/queues/queue/${ROWS_QUEUE}?status=failed`);
  const before = await counts();
  // What the board's buttons send: fetch from its own page (Origin and Sec-Fetch-Site: same-origin).
  const send = (method: string, path: string, body?: string) =>
    page.evaluate(
      async ([method, path, body]) => {
        const init: RequestInit = { method, headers: { 'content-type': 'application/json' } };
        if (body !== undefined) init.body = body;
        return (await fetch(`/queues/api/queues/${path}`, init)).status;
      },
      [method, path, body] as const,
    );
  assert.equal(await send('POST', `${ROWS_QUEUE}/add`, '{"name":"row","data":{"outDir":"/tmp/x"}}'), 403);
  assert.deepEqual(await counts(), before);
  assert.equal(await send('PUT', `${ROWS_QUEUE}/${encodeURIComponent(failed)}/retry`), 204);
  assert.equal(await (await queue.getJob(failed))?.getState(), 'waiting');
});
