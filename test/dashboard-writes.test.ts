import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { startDashboard } from '../src/dashboard/server.js';
import { globalKeys, ROWS_QUEUE, rowJobId, runKeys } from '../src/queue/keys.js';
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

const RUN = 'chapter';
const AUTH = `Basic ${Buffer.from('ops:pw').toString('base64')}`;

/**
 * A dashboard with basic auth over a run of five rows: two failed, two delayed, one waiting.
 * `call` sends the operator's credentials, as a browser that has them cached does.
 */
async function board(t: TestContext) {
  const prefix = uniquePrefix('dx');
  const rows = await addRows(redis.url, prefix, RUN, join(tmpdir(), prefix, RUN), [
    { id: 'a', text: 'One.' },
    { id: 'b', text: 'Two.' },
    { id: 'c', text: 'Three.' },
  ]);
  const client = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue(ROWS_QUEUE, { connection: client, prefix });
  await client.zadd(globalKeys(prefix).runs, Date.now(), RUN);
  const delayed: string[] = [];
  for (const id of ['later0', 'later1']) {
    await client.hset(runKeys(prefix, RUN).rows, id, '0');
    delayed.push(
      (await queue.add('row', { id }, { jobId: rowJobId(RUN, id, '0'), delay: 3_600_000 })).id ?? '',
    );
  }
  const worker = new Worker(ROWS_QUEUE, null, {
    connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null },
    prefix,
  });
  const failed: string[] = [];
  for (let n = 0; n < 2; n += 1) {
    const job = await worker.getNextJob('token');
    assert.ok(job?.id);
    await job.moveToFailed(new UnrecoverableError('refused'), 'token');
    failed.push(job.id);
  }
  await worker.close();
  const waiting = rowJobId(RUN, 'c', rows[2]?.contentHash ?? '');
  const settings = loadSettings({
    REDIS_URL: redis.url,
    TTS_QUEUE_PREFIX: prefix,
    TTS_DASHBOARD_USER: 'ops',
    TTS_DASHBOARD_PASSWORD: 'pw',
  });
  const dashboard = await startDashboard({ settings, port: 0 });
  t.after(async () => {
    await dashboard.close();
    await queue.close();
    const keys = await client.keys(`${prefix}:*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
    await rm(join(tmpdir(), prefix), { recursive: true, force: true });
  });
  /** `path` is under bull-board's API, e.g. `/rows/add`. */
  const call = (method: string, path: string, headers: Record<string, string>, body?: string) =>
    fetch(`${dashboard.url}/queues/api/queues${path}`, {
      method,
      headers: { authorization: AUTH, ...headers },
      ...(body === undefined ? {} : { body }),
    });
  const counts = () => queue.getJobCounts('wait', 'delayed', 'failed', 'active', 'completed', 'prioritized');
  const state = async (id: string) => (await queue.getJob(id))?.getState() ?? 'gone';
  return { dashboard, queue, call, counts, state, failed, delayed, waiting };
}

const job = (id: string | undefined) => `/${ROWS_QUEUE}/${encodeURIComponent(id ?? '')}`;

test('a cross-site form POST to add a job is refused, with the credentials cached, and adds nothing', async (t) => {
  const { call, counts, dashboard } = await board(t);
  const before = await counts();
  const form = '{"name":"x","data":{"outDir":"/tmp/elsewhere"},"pad":"=1"}';
  const crossSite = [
    { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' },
    { origin: 'http://evil.example' },
    { referer: 'http://evil.example/page.html' },
    { origin: 'null' },
    // Another port of the same host is another origin (same-site, not same-origin).
    { origin: 'http://127.0.0.1:1', 'sec-fetch-site': 'same-site' },
    { origin: dashboard.url, 'sec-fetch-site': 'cross-site' },
  ];
  for (const headers of crossSite) {
    const response = await call('POST', '/rows/add', { 'content-type': 'text/plain', ...headers }, form);
    assert.deepEqual(await counts(), before, `no job added: ${JSON.stringify(headers)}`);
    assert.equal(response.status, 403, JSON.stringify(headers));
    assert.match(await response.text(), /^cross-origin request refused/);
  }
  const bare = await call('POST', '/rows/add', { 'content-type': 'application/json' }, '{"name":"x"}');
  assert.equal(bare.status, 403, 'neither Origin, Referer nor Sec-Fetch-Site');
  assert.match(await bare.text(), /-H 'Origin: http:\/\/HOST:PORT'/);
  assert.deepEqual(await counts(), before);
});

test('same-origin, bull-board retries, promotes and cleans; it adds no job and edits none', async (t) => {
  const { dashboard, queue, call, counts, state, failed, delayed, waiting } = await board(t);
  const curl = { origin: dashboard.url, 'content-type': 'application/json' };
  const browser = { ...curl, 'sec-fetch-site': 'same-origin' };
  const before = await counts();
  const waitingData = (await queue.getJob(waiting))?.data as unknown;
  const refused: [string, string, string?][] = [
    ['POST', '/rows/add', '{"name":"row","data":{"outDir":"/tmp/elsewhere"}}'],
    ['POST', '/ROWS/Add/', '{"name":"row","data":{"outDir":"/tmp/elsewhere"}}'],
    ['PATCH', `${job(waiting)}/update-data`, '{"jobData":{"outDir":"/tmp/elsewhere"}}'],
    ['PATCH', `${job(delayed[0])}/delay`, `{"runAt":${Date.now()}}`],
    ['PATCH', `${job(waiting)}/priority`, '{"priority":1}'],
    ['PUT', `${job(waiting)}/remove-unprocessed-children`],
    ['PUT', '/pause'],
    ['PUT', '/resume'],
    ['PUT', '/rows/pause'],
    ['PUT', '/rows/resume'],
    ['PUT', '/rows/empty'],
    ['PUT', '/rows/obliterate', '{}'],
    ['PUT', '/rows/concurrency', '{"concurrency":1}'],
    ['PUT', '/rows/rate-limit', '{"max":1,"duration":1000}'],
    ['PUT', '/rows/rate-limit/release'],
    ['PUT', '/rows/retry/completed'],
    ['PUT', '/rows/clean/wait'],
    ['PUT', '/rows/clean/delayed'],
    ['PUT', '/rows/job-schedulers/x/remove'],
    ['PUT', '/rows/job-schedulers/x/run'],
    ['PATCH', '/rows/job-schedulers/x', '{"pattern":"* * * * *"}'],
  ];
  for (const [method, path, body] of refused) {
    const response = await call(method, path, browser, body);
    assert.deepEqual(await counts(), before, `${method} ${path} changed no job`);
    assert.equal(response.status, 403, `${method} ${path}`);
    assert.match(await response.text(), /use the tts-batch CLI/);
  }
  assert.deepEqual(await counts(), before);
  assert.equal(await queue.isPaused(), false);
  assert.deepEqual((await queue.getJob(waiting))?.data, waitingData);

  assert.equal((await call('PUT', `${job(failed[0])}/retry`, curl)).status, 204);
  assert.equal(await state(failed[0] ?? ''), 'waiting');
  assert.equal((await call('PUT', '/rows/retry/failed', browser)).status, 200);
  assert.equal(await state(failed[1] ?? ''), 'waiting');
  assert.equal((await call('PUT', `${job(delayed[0])}/promote`, browser)).status, 204);
  assert.equal(await state(delayed[0] ?? ''), 'waiting');
  assert.equal((await call('PUT', '/rows/promote', curl)).status, 200);
  assert.equal(await state(delayed[1] ?? ''), 'waiting');
  assert.equal((await call('PUT', '/rows/clean/failed', browser)).status, 200);
  assert.equal((await call('PUT', '/rows/clean/completed', browser)).status, 200);
  assert.equal((await call('PUT', `${job(waiting)}/clean`, browser)).status, 204);
  assert.equal(await state(waiting), 'gone');
  assert.deepEqual(await counts(), { ...before, wait: 4, delayed: 0, failed: 0 });
});
