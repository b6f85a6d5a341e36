import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { after, before, test } from 'node:test';
import { startDashboard } from '../src/dashboard/server.js';
import { UsageError } from '../src/errors.js';
import { loadSettings } from '../src/settings.js';
import { runCli } from './helpers/cli.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';

let redis: PrivateRedis;
before(async () => {
  redis = await startPrivateRedis();
});
after(async () => {
  await redis.stop();
});

/** An address of this machine that is not loopback, if it has one. */
function outsideAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((info) => info !== undefined && info.family === 'IPv4' && !info.internal)?.address;
}

test('the dashboard listens on 127.0.0.1 unless configured: not reachable on other interfaces', async (t) => {
  const settings = loadSettings({ REDIS_URL: redis.url, TTS_QUEUE_PREFIX: uniquePrefix('dl') });
  assert.equal(settings.dashboardHost, '127.0.0.1');
  const dashboard = await startDashboard({ settings, port: 0 });
  try {
    const { hostname, port } = new URL(dashboard.url);
    assert.equal(hostname, '127.0.0.1');
    assert.equal((await fetch(`${dashboard.url}/metrics`)).status, 200);
    const address = outsideAddress();
    if (address === undefined) return t.skip('no non-loopback interface on this machine');
    await assert.rejects(fetch(`http://${address}:${port}/metrics`), 'refused on a non-loopback address');
  } finally {
    await dashboard.close();
  }
});

test('with basic auth, every path (bull-board API, unknown paths) is 401 without it', async () => {
  const settings = loadSettings({
    REDIS_URL: redis.url,
    TTS_QUEUE_PREFIX: uniquePrefix('da'),
    TTS_DASHBOARD_USER: 'ops',
    TTS_DASHBOARD_PASSWORD: 'dashboard-Secret-pw',
  });
  const dashboard = await startDashboard({ settings, port: 0 });
  try {
    for (const path of [
      '/queues/api/queues',
      '/queues/api/queues?activeQueue=rows&status=failed&page=1',
      '/queues/static/index.html',
      '/nope',
      '/%2e%2e/metrics',
      '//metrics',
    ]) {
      const response = await fetch(`${dashboard.url}${path}`);
      assert.equal(response.status, 401, path);
      assert.ok(!(await response.text()).includes('dashboard-Secret-pw'));
    }
    const retry = await fetch(`${dashboard.url}/queues/api/queues/rows/retry/failed`, { method: 'PUT' });
    assert.equal(retry.status, 401, 'actions too');
  } finally {
    await dashboard.close();
  }
});

test('half a credential pair refuses to start, rather than serving an open dashboard', async () => {
  for (const [name, value] of [
    ['TTS_DASHBOARD_USER', 'ops'],
    ['TTS_DASHBOARD_PASSWORD', 'dashboard-Secret-pw'],
  ] as const) {
    const env = { REDIS_URL: redis.url, TTS_QUEUE_PREFIX: uniquePrefix('dh'), [name]: value };
    await assert.rejects(startDashboard({ settings: loadSettings(env), port: 0 }), UsageError);
    const outcome = await runCli(['dashboard', '--port', '0'], env);
    assert.equal(outcome.code, 2, outcome.stderr);
    assert.match(outcome.stderr, /Basic auth needs both TTS_DASHBOARD_USER and TTS_DASHBOARD_PASSWORD/);
    assert.ok(!outcome.stderr.includes('dashboard-Secret-pw'));
  }
});
