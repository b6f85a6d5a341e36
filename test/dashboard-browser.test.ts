import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { chromium, type Browser } from 'playwright-core';
import { startDashboard, type RunningDashboard } from '../src/dashboard/server.js';
import { globalKeys } from '../src/queue/keys.js';
import { loadSettings } from '../src/settings.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';
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
