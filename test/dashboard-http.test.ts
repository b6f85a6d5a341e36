import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { main } from '../src/cli/main.js';
import { startDashboard } from '../src/dashboard/server.js';
import { globalKeys, runKeys } from '../src/queue/keys.js';
import { loadSettings } from '../src/settings.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';
import { addRows } from './helpers/rows.js';

let redis: PrivateRedis;
before(async () => {
  redis = await startPrivateRedis();
});
after(async () => {
  await redis.stop();
});

async function seed(prefix: string, run: string) {
  await addRows(redis.url, prefix, run, `/tmp/${prefix}/${run}`, [
    { id: 'a', text: 'One.' },
    { id: 'b', text: 'Two.' },
    { id: 'c', text: 'Three.' },
  ]);
  const client = new Redis(redis.url);
  await client.zadd(globalKeys(prefix).runs, Date.now(), run);
  await client.hset(runKeys(prefix, run).stats, 'calls', '7', 'cost_usd', '0.0201', 'audio_ms', '4500');
  client.disconnect();
}

test('/metrics: rows by state, calls, cost and audio per run; the runs page lists the run', async () => {
  const prefix = uniquePrefix('d');
  await seed(prefix, 'nightly');
  const settings = loadSettings({ REDIS_URL: redis.url, TTS_QUEUE_PREFIX: prefix });
  const dashboard = await startDashboard({ settings, port: 0 });
  try {
    assert.match(dashboard.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const metrics = await fetch(`${dashboard.url}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await metrics.text();
    assert.match(text, /^tts_run_rows\{run="nightly",state="waiting"\} 3$/m);
    assert.match(text, /^tts_run_rows\{run="nightly",state="done"\} 0$/m);
    assert.match(text, /^tts_api_calls_total\{run="nightly"\} 7$/m);
    assert.match(text, /^tts_cost_usd_total\{run="nightly"\} 0\.0201$/m);
    assert.match(text, /^tts_audio_seconds_total\{run="nightly"\} 4\.5$/m);
    assert.match(text, /^tts_queue_paused 0$/m);

    const page = await (await fetch(`${dashboard.url}/`)).text();
    assert.match(page, /<tr data-run="nightly">/);
    assert.match(page, /id="queue-name">rows</);
    assert.equal((await fetch(`${dashboard.url}/queues`)).status, 200);
  } finally {
    await dashboard.close();
  }
});

test('basic auth: 401 without or with wrong credentials, 200 with them', async () => {
  const prefix = uniquePrefix('a');
  const settings = loadSettings({
    REDIS_URL: redis.url,
    TTS_QUEUE_PREFIX: prefix,
    TTS_DASHBOARD_USER: 'ops',
    TTS_DASHBOARD_PASSWORD: 'correct horse',
  });
  const dashboard = await startDashboard({ settings, port: 0 });
  const basic = (credentials: string) => ({
    headers: { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` },
  });
  try {
    for (const path of ['/', '/metrics', '/queues']) {
      const refused = await fetch(`${dashboard.url}${path}`);
      assert.equal(refused.status, 401, path);
      assert.match(refused.headers.get('www-authenticate') ?? '', /^Basic realm="tts-batch"/);
    }
    assert.equal((await fetch(`${dashboard.url}/metrics`, basic('ops:wrong'))).status, 401);
    assert.equal((await fetch(`${dashboard.url}/metrics`, basic('ops:correct horse'))).status, 200);
  } finally {
    await dashboard.close();
  }
});

test('tts-batch dashboard serves until its signal fires, then exits 0', async () => {
  const prefix = uniquePrefix('c');
  const controller = new AbortController();
  let printed = '';
  let resolveUrl: (url: string) => void = () => {};
  let rejectUrl: (error: Error) => void = () => {};
  const ready = new Promise<string>((resolve, reject) => {
    resolveUrl = resolve;
    rejectUrl = reject;
  });
  const stdout = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      printed += chunk.toString();
      const url = /dashboard: (http:\/\/\S+?)\/ /.exec(printed)?.[1];
      if (url) resolveUrl(url);
      callback();
    },
  });
  const exit = main(['dashboard', '--port', '0'], {
    stdout,
    stderr: stdout,
    env: { REDIS_URL: redis.url, TTS_QUEUE_PREFIX: prefix },
    cwd: process.cwd(),
    signal: controller.signal,
  });
  void exit.then((code) => rejectUrl(new Error(`exited early with ${code}: ${printed}`)));
  const url = await ready;
  assert.equal((await fetch(`${url}/`)).status, 200);
  controller.abort();
  assert.equal(await exit, 0);
  assert.equal(
    await main(['dashboard', '--port', 'x'], {
      stdout,
      stderr: stdout,
      env: {},
      cwd: '.',
      signal: controller.signal,
    }),
    2,
  );
});
