// Issue 12, item 6: a worker started while Redis is unreachable says once that it waits for Redis
// at the URL (password masked), then starts when Redis answers; Redis lost mid-run is one line,
// its return another; never a stack trace. With TTS_REDIS_WAIT_MS it gives up with exit 1.
// The worker runs as its own process (`npm run worker`'s entry point) at the default log level.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { after, test } from 'node:test';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { enqueueRowsOk } from './helpers/enqueue-rows.js';
import { nightRows, startNight, type Night } from './helpers/night.js';
import { finishedManifest, spawnWorker, until, type SpawnedWorker } from './helpers/processes.js';
import { freePort, startPrivateRedis } from './helpers/redis.js';
import { captureLogger } from './helpers/worker.js';
import { waitForRedis } from '../src/worker/redis-wait.js';
import { watchRedis } from '../src/worker/redis-watch.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

const PASSWORD = 'pw-never-shown-4711';
/** How long each outage lasts: long enough for several reconnection attempts (200 ms, 400 ms, ...). */
const OUTAGE_MS = 2500;

type LogLine = Record<string, unknown>;

function parse(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

function spawned(env: Record<string, string>): SpawnedWorker {
  const defaults: Record<string, string> = { ...env };
  delete defaults['LOG_LEVEL'];
  const child = spawnWorker(defaults);
  cleanups.push(() => child.kill('SIGKILL'));
  return child;
}

/** Nothing but JSON lines, no stack trace, no password. */
function assertClean(output: string): void {
  const stray = output.split('\n').filter((line) => line !== '' && !line.startsWith('{'));
  assert.deepEqual(stray, [], 'every line is a log line (no raw error, no stack trace)');
  assert.ok(!output.includes(PASSWORD), 'the password is never shown');
  assert.doesNotMatch(output, /\n\s+at /, 'no stack trace');
}

const events = (lines: LogLine[], name: string) => lines.filter((line) => line['event'] === name);

test('started before Redis, then Redis lost and back mid-run: one line each, the run completes', async () => {
  const n: Night = await startNight({
    sim: { fixedLatencyS: 2, latencyScale: 1 },
    redis: { password: PASSWORD, appendonly: true, fsync: 'always' },
    env: { TTS_CONCURRENCY: '3' },
  });
  cleanups.push(() => n.close());
  // The test's own connections live through the outages too.
  n.client.on('error', () => undefined);
  const rows = nightRows(3, 'outage');
  await enqueueRowsOk(n.target, rows);

  await n.redis.kill();
  const worker = spawned(n.env);
  await until(() => events(parse(worker.output()), 'redis_waiting').length > 0, 'the worker to say it waits');
  await delay(OUTAGE_MS);
  await n.redis.restart();
  await until(() => events(parse(worker.output()), 'worker_started').length > 0, 'the worker to start');

  const waiting = parse(worker.output());
  assert.equal(events(waiting, 'redis_waiting').length, 1, 'said once');
  const said = events(waiting, 'redis_waiting')[0];
  assert.match(String(said?.['msg']), /waiting for Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+/);
  assert.match(String(said?.['msg']), /ECONNREFUSED/);
  const before = waiting.slice(
    0,
    waiting.findIndex((line) => line['event'] === 'worker_started'),
  );
  assert.deepEqual(
    before.map((line) => line['event']).filter((event) => event !== 'redis_config'),
    ['redis_waiting', 'redis_connected'],
    'nothing else while waiting',
  );

  // Every row in flight (submitted, its audio 2 s away), then Redis goes away and comes back.
  await until(() => n.sim.ledger().submits.length === rows.length, 'every row submitted');
  const mark = worker.output().length;
  await n.redis.kill();
  await until(() => events(parse(worker.output().slice(mark)), 'redis_lost').length > 0, 'the loss said');
  await delay(OUTAGE_MS);
  await n.redis.restart();
  await until(() => events(parse(worker.output().slice(mark)), 'redis_back').length > 0, 'the return said');
  let entries: Record<string, unknown>[] | undefined;
  await until(() => (entries = finishedManifest(n.outDir, rows.length)) !== undefined, 'the run to finish');
  assert.ok(entries?.every((entry) => entry['status'] === 'completed'));
  assertBilledAtMostRecorded(n.sim.ledger(), entries ?? []);

  await worker.kill('SIGTERM');
  const outage = parse(worker.output().slice(mark));
  assert.equal(events(outage, 'redis_lost').length, 1);
  assert.equal(events(outage, 'redis_back').length, 1);
  assert.match(String(events(outage, 'redis_lost')[0]?.['msg']), /redis:\/\/:\*\*\*@127\.0\.0\.1/);
  const warnings = outage.filter((line) => Number(line['level']) >= 40);
  assert.deepEqual(
    warnings.map((line) => line['event']),
    ['redis_lost'],
    `one warning for the outage:\n${JSON.stringify(warnings)}`,
  );
  assertClean(worker.output());
});

test('TTS_REDIS_WAIT_MS: a worker that never reaches Redis exits 1, naming the masked URL', async () => {
  const port = await freePort();
  const worker = spawned({
    REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${port}`,
    SEGMIND_API_KEY: 'SG_unused-key-0003',
    TTS_REDIS_WAIT_MS: '1500',
  });
  const [code] = (await once(worker.child, 'exit')) as [number | null];
  assert.equal(code, 1);
  const output = worker.output();
  assert.match(output, new RegExp(`Cannot reach Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}`));
  assert.match(output, /TTS_REDIS_WAIT_MS/);
  assert.equal(events(parse(output), 'redis_waiting').length, 1);
  assert.ok(!output.includes(PASSWORD));
  assert.doesNotMatch(output, /\n\s+at /);
});

test('a Redis that refuses the password: exit 2 at once, not an endless wait', async () => {
  const n: Night = await startNight({ redis: { password: PASSWORD } });
  cleanups.push(() => n.close());
  const worker = spawned({ ...n.env, REDIS_URL: n.redis.url.replace(PASSWORD, 'wrong-password') });
  const [code] = (await once(worker.child, 'exit')) as [number | null];
  assert.equal(code, 2);
  assert.match(worker.output(), /refused the credentials of REDIS_URL/);
  assert.ok(!worker.output().includes('wrong-password'));
});

test('while Redis stays away, the wait and the outage are said again on a schedule (a minute by default), not per reconnection', async () => {
  const redis = await startPrivateRedis({ password: PASSWORD });
  cleanups.push(() => redis.stop());
  await redis.kill();
  const lines: string[] = [];
  const logger = captureLogger(lines, 'info');
  const waiting = waitForRedis({
    target: redis.url,
    waitMs: 0,
    logger,
    signal: new AbortController().signal,
    logEveryMs: 400,
  });
  const logged = (name: string) => parse(lines.join('\n')).filter((line) => line['event'] === name).length;
  await until(() => logged('redis_still_waiting') >= 2, 'the wait said again');
  await redis.restart();
  const client = await waiting;
  assert.ok(client);
  assert.equal(logged('redis_waiting'), 1);
  assert.equal(logged('redis_connected'), 1);

  const watch = watchRedis({ redis: client, target: redis.url, logger, logEveryMs: 400 });
  await redis.kill();
  await until(() => logged('redis_still_lost') >= 2, 'the outage said again');
  await redis.restart();
  await until(() => logged('redis_back') === 1, 'the return said');
  watch.stop();
  client.disconnect();
  assert.equal(logged('redis_lost'), 1);
  assert.ok(!lines.join('\n').includes(PASSWORD));
});

test('a Redis that stops answering without dropping the connection (frozen) is said once, and its return', async () => {
  const redis = await startPrivateRedis();
  cleanups.push(async () => {
    redis.thaw();
    await redis.stop();
  });
  const lines: string[] = [];
  const logger = captureLogger(lines, 'info');
  const client = await waitForRedis({
    target: redis.url,
    waitMs: 0,
    logger,
    signal: new AbortController().signal,
  });
  assert.ok(client);
  const watch = watchRedis({ redis: client, target: redis.url, logger, probeEveryMs: 100, stallMs: 500 });
  const logged = (name: string) => parse(lines.join('\n')).filter((line) => line['event'] === name);
  redis.freeze();
  await until(() => logged('redis_lost').length === 1, 'the stall said');
  assert.match(String(logged('redis_lost')[0]?.['reason']), /no answer to PING/);
  redis.thaw();
  await until(() => logged('redis_back').length === 1, 'the return said');
  watch.stop();
  client.disconnect();
  assert.equal(logged('redis_lost').length, 1);
});
