import assert from 'node:assert/strict';
import { mkdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startApiProxy, type ApiProxy } from './helpers/api-proxy.js';
import { assertBilledAtMostRecorded, assertNoDuplicateLines } from './helpers/billing.js';
import { runCli } from './helpers/cli.js';
import { enqueueRowsOk } from './helpers/enqueue-rows.js';
import { nightRows } from './helpers/night.js';
import { finishedManifest, spawnWorker, until, type SpawnedWorker } from './helpers/processes.js';
import { nightKit } from './helpers/night-kit.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

const { night, worker, finished } = nightKit(cleanups);

async function proxy(target: string, rule: Parameters<typeof startApiProxy>[1]): Promise<ApiProxy> {
  const started = await startApiProxy(target, rule);
  cleanups.push(() => started.close());
  return started;
}

function spawned(env: Record<string, string>): SpawnedWorker {
  const child = spawnWorker(env);
  cleanups.push(() => child.kill('SIGKILL'));
  return child;
}

test('SIGTERM while submit answers are held: every billed submit stays recorded (defect 2)', async () => {
  const n = await night();
  const rows = nightRows(6, 'held');
  await enqueueRowsOk(n.target, rows);
  // The answers to submits come 1.5 s after the simulator billed them; the grace period is 0.3 s.
  const slow = await proxy(n.sim.url, (request, answer) =>
    request.method === 'POST' ? { ...answer, holdMs: 1500 } : undefined,
  );
  const first = worker({ ...n.env, SEGMIND_BASE_URL: slow.url });
  await until(() => n.sim.ledger().submits.length === rows.length, 'every row submitted');
  await first.stop();
  worker(n.env);
  const entries = await finished(n, rows.length);
  assert.ok(entries.every((entry) => entry['status'] === 'completed'));
  const surplus = assertBilledAtMostRecorded(n.sim.ledger(), entries);
  assert.equal(surplus, 0, 'no submit was counted that the API did not get');
  assert.equal(n.sim.ledger().submits.length, rows.length, 'the held answers were kept, not submitted again');
});

test('kill -9 while rows wait for a request slot: only a POST that may have left is ambiguous (defect 3)', async () => {
  const n = await night({ env: { SEGMIND_RPM: '60', TTS_CONCURRENCY: '5' } });
  const rows = nightRows(5, 'slots');
  await enqueueRowsOk(n.target, rows);
  const victim = spawned(n.env);
  await until(() => n.sim.ledger().submits.length >= 1, 'the first submit');
  await victim.kill('SIGKILL');
  spawned(n.env);
  const entries = await finished(n, rows.length);
  const surplus = assertBilledAtMostRecorded(n.sim.ledger(), entries);
  const crashed = entries.filter((entry) =>
    (entry['resubmit_reasons'] as string[]).includes('crash-during-submit'),
  );
  assert.ok(crashed.length <= 1, `rows waiting for a slot were marked ambiguous: ${crashed.length}`);
  assert.ok(surplus <= 1, `recorded ${surplus} submits the API never got`);
});

test('retry of FAILED rows makes one new, counted submit each (defect 4)', async () => {
  const n = await night({ sim: { rateFailed: 0.5, seed: 3 } });
  const rows = nightRows(8, 'failing');
  await enqueueRowsOk(n.target, rows);
  worker(n.env);
  const first = await finished(n, rows.length);
  const failed = first.filter((entry) => entry['status'] === 'failed').map((entry) => String(entry['id']));
  assert.ok(failed.length > 0, 'the seed fails some rows');
  const retried = await runCli(['retry', '--run', 'night'], n.env);
  assert.equal(retried.code, 0, retried.stderr);
  await until(
    async () => (await n.lines()).length === rows.length + failed.length,
    'the retried rows to end',
  );
  const entries = await finished(n, rows.length);
  await until(() => {
    const current = finishedManifest(n.outDir, rows.length) ?? [];
    return current
      .filter((entry) => failed.includes(String(entry['id'])))
      .every((entry) => entry['submits'] === 2);
  }, 'the manifest to be rewritten');
  const final = finishedManifest(n.outDir, rows.length) ?? entries;
  const ledger = n.sim.ledger();
  for (const entry of final.filter((e) => failed.includes(String(e['id'])))) {
    const billed = ledger.submits.filter((s) => s.text_sha256 === entry['text_sha256']).length;
    assert.equal(billed, 2, `row ${String(entry['id'])} was submitted again`);
    assert.equal(entry['submits'], 2);
  }
  assertBilledAtMostRecorded(ledger, final);
});

test('Redis stopped longer than the lock: each row recorded once, counters equal the manifest (defect 6)', async () => {
  // Free slots: after the thaw, the stalled rows are taken again while their first runs go on.
  // Requests take ~8 s; Redis stops for 3.5 s with a 2 s lock: the rows are taken again while
  // their first runs still poll, and both runs finish them.
  const n = await night({ sim: { latencyScale: 1 }, env: { TTS_CONCURRENCY: '32' } });
  const rows = nightRows(12, 'frozen');
  await enqueueRowsOk(n.target, rows);
  worker(n.env);
  await until(() => n.sim.ledger().submits.length >= rows.length, 'rows in flight');
  n.redis.freeze();
  await new Promise((resolve) => setTimeout(resolve, 3500));
  n.redis.thaw();
  const entries = await finished(n, rows.length);
  assertNoDuplicateLines(await n.lines());
  assertBilledAtMostRecorded(n.sim.ledger(), entries);
  const stats = await n.client.hgetall(`${n.env['TTS_QUEUE_PREFIX']}:run:night:stats`);
  assert.equal(Number(stats['completed']), entries.filter((e) => e['status'] === 'completed').length);
  const audioMs = entries.reduce((sum, e) => sum + Math.round(Number(e['duration_s']) * 1000), 0);
  assert.ok(
    Math.abs(Number(stats['audio_ms']) - audioMs) <= rows.length,
    `audio ${stats['audio_ms']} vs ${audioMs}`,
  );
});

test('a request stuck in PROCESSING: one resubmit at the row deadline, then a stated failure (defect 10)', async () => {
  const n = await night({ env: { TTS_ROW_DEADLINE_MS: '1500', TTS_CONCURRENCY: '2' } });
  const rows = nightRows(2, 'stuck');
  await enqueueRowsOk(n.target, rows);
  const stuck = await proxy(n.sim.url, (request) => {
    if (request.method !== 'GET' || !request.path.startsWith('/v2/requests/')) return undefined;
    const id = /\/v2\/requests\/([^/]+)/.exec(request.path)?.[1] ?? '';
    return { status: 200, body: JSON.stringify({ status: 'PROCESSING', request_id: id, metrics: {} }) };
  });
  worker({ ...n.env, SEGMIND_BASE_URL: stuck.url });
  const entries = await finished(n, rows.length);
  for (const entry of entries) {
    assert.equal(entry['status'], 'failed');
    assert.match(String(entry['error']), /deadline/);
    assert.equal(entry['submits'], 2);
    assert.deepEqual(entry['resubmit_reasons'], ['deadline']);
  }
  assertBilledAtMostRecorded(n.sim.ledger(), entries);
});

test('submits answered 200 in a shape the API does not document halt the fleet (defect 11)', async () => {
  const n = await night({ env: { TTS_CONCURRENCY: '1', TTS_MAX_PROTOCOL_ERRORS: '3' } });
  const rows = nightRows(6, 'html');
  await enqueueRowsOk(n.target, rows);
  const html = await proxy(n.sim.url, (request) =>
    request.method === 'POST'
      ? {
          status: 200,
          body: '<!doctype html><html><title>Maintenance</title></html>',
          headers: { 'content-type': 'text/html' },
        }
      : undefined,
  );
  worker({ ...n.env, SEGMIND_BASE_URL: html.url });
  const haltKey = `${n.env['TTS_QUEUE_PREFIX']}:api:halt`;
  await until(async () => (await n.client.hget(haltKey, 'reason')) !== null, 'the fleet to halt');
  const reason = (await n.client.hget(haltKey, 'reason')) ?? '';
  assert.match(reason, /shape/);
  assert.match(reason, /request_id|Maintenance|doctype/i);
  const billed = n.sim.ledger().submits.length;
  assert.ok(billed <= 4, `the fleet halted within a call of the limit: ${billed} billed`);
  // Each billed submit is counted in its row's progress.
  const progress = await n.client.hgetall(`${n.env['TTS_QUEUE_PREFIX']}:run:night:progress`);
  const counted = Object.values(progress).reduce(
    (sum, json) => sum + Number((JSON.parse(json) as { submits: number }).submits),
    0,
  );
  assert.ok(billed <= counted, `billed ${billed}, counted ${counted}`);
  const status = await runCli(['status', '--run', 'night'], n.env);
  assert.match(status.stdout, /HALT|halt/);
});

test('one SIGTERM ends a worker whose Redis is gone; its rows return to the queue (defect 15)', async () => {
  const n = await night({ sim: { latencyScale: 0.5 }, env: { TTS_SHUTDOWN_GRACE_MS: '1000' } });
  const rows = nightRows(4, 'orphan');
  await enqueueRowsOk(n.target, rows);
  const child = spawned(n.env);
  await until(() => n.sim.ledger().submits.length === rows.length, 'every row in flight');
  await n.redis.kill();
  const exited = new Promise<number | null>((resolve) => child.child.once('exit', (code) => resolve(code)));
  child.child.kill('SIGTERM');
  let code: number | null | undefined;
  void exited.then((value) => (code = value));
  await until(() => code !== undefined, 'the worker to exit after one SIGTERM');
  assert.match(child.output(), /stop_without_redis|stop_slow|worker_stopped/);
  // Redis back (empty: it kept nothing), the run enqueued again: the rows are made, none billed twice.
  await n.redis.restart();
  await enqueueRowsOk(n.target, rows);
  spawned(n.env);
  const entries = await finished(n, rows.length);
  assert.ok(entries.every((entry) => entry['status'] === 'completed'));
  assertBilledAtMostRecorded(n.sim.ledger(), entries);
});

test('manifest.jsonl refused after the audio is saved: the row stays completed and counted once (defect 6)', async () => {
  const n = await night();
  const rows = nightRows(2, 'diskfull');
  await enqueueRowsOk(n.target, rows);
  // The line cannot be appended (a directory stands where the file goes), the audio can be saved.
  await mkdir(join(n.outDir, 'manifest.jsonl'), { recursive: true });
  worker(n.env);
  const statsKey = `${n.env['TTS_QUEUE_PREFIX']}:run:night:stats`;
  await until(
    async () => Number(await n.client.hget(statsKey, 'completed')) === rows.length,
    'both outcomes',
  );
  await new Promise((resolve) => setTimeout(resolve, 3000));
  assert.equal(
    (await n.queue().getJobCounts('failed'))['failed'],
    0,
    'a manifest write failure is not the row outcome',
  );
  await rmdir(join(n.outDir, 'manifest.jsonl'));
  const entries = await finished(n, rows.length);
  assert.ok(entries.every((entry) => entry['status'] === 'completed' && entry['submits'] === 1));
  assert.equal(Number(await n.client.hget(statsKey, 'completed')), rows.length, 'counted once');
  assertNoDuplicateLines(await n.lines());
  assertBilledAtMostRecorded(n.sim.ledger(), entries);
  assert.equal(n.sim.ledger().submits.length, rows.length);
});
