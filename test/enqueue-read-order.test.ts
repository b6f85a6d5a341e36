import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { reconcileRun } from '../src/enqueue/reconcile.js';
import { resolveRowDefaults } from '../src/enqueue/row-defaults.js';
import { scanScript } from '../src/enqueue/scan-script.js';
import { ROWS_QUEUE } from '../src/queue/keys.js';
import { loadSettings } from '../src/settings.js';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { startCli } from './helpers/cli.js';
import { enqueueRowsOk, rowCounts } from './helpers/enqueue-rows.js';
import { nightRows, startNight } from './helpers/night.js';
import { finishedManifest, until } from './helpers/processes.js';
import { startRedisGate } from './helpers/redis-gate.js';
import { sha256 } from './helpers/rows.js';
import { startTestWorker } from './helpers/worker.js';

// Defect 1, the read order: a worker records a row's outcome, then BullMQ removes its completed
// job. A re-enqueue that reads the outcomes before the job's existence (or both at once) can see
// a row finishing in between as neither queued nor done, and queue it to be paid for again.
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/** `redis` whose pipelines (the job-existence reads) run only once `gate` resolves. */
function withGatedPipelines(redis: Redis, gate: Promise<unknown>): Redis {
  return new Proxy(redis, {
    get(target, property, receiver) {
      if (property === 'pipeline') {
        return (...args: Parameters<Redis['pipeline']>) => {
          const pipeline = target.pipeline(...args);
          const exec = pipeline.exec.bind(pipeline);
          pipeline.exec = async () => {
            await gate;
            return exec();
          };
          return pipeline;
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

test('rows finishing while a re-enqueue compares are skipped, not queued again', async () => {
  const n = await startNight();
  cleanups.push(() => n.close());
  const rows = nightRows(8, 'race');
  await enqueueRowsOk(n.target, rows);
  const settings = loadSettings(n.env);
  const scan = await scanScript(n.target.scriptPath, {
    defaults: resolveRowDefaults({}, settings),
    maxChars: settings.maxChars,
  });
  const queue = new Queue(ROWS_QUEUE, { connection: { url: n.redis.url }, prefix: settings.queuePrefix });
  cleanups.push(() => queue.close());

  // The comparison starts while no row is done; the job-existence reads wait until every row is.
  const allDone = until(() => finishedManifest(n.outDir, rows.length) !== undefined, 'the run to finish');
  const reconciling = reconcileRun(
    {
      redis: withGatedPipelines(n.client, allDone),
      queue,
      prefix: settings.queuePrefix,
      run: 'night',
      outDir: join(n.target.outRoot, 'night'),
    },
    scan,
  );
  const { rowWorker } = startTestWorker({ env: n.env });
  cleanups.push(() => rowWorker.stop());
  const { counts } = await reconciling;
  assert.equal(counts.new, 0, JSON.stringify(counts));
  assert.equal(counts.skipped + counts.unchanged, rows.length);
});

test('a row queued again while a worker still holds its finished job is made again, not lost', async () => {
  const n = await startNight();
  cleanups.push(() => n.close());
  const rows = nightRows(3, 'held');
  await enqueueRowsOk(n.target, rows);
  // The worker's Redis traffic is held right before BullMQ marks held-002's job completed: the
  // row is recorded and its file written, the job still active under the worker's lock.
  const gate = await startRedisGate(
    { host: '127.0.0.1', port: n.redis.port },
    (args) => args.includes('completed') && args.some((arg) => arg.startsWith('night/held-002/')),
  );
  cleanups.push(() => gate.close());
  const { rowWorker } = startTestWorker({ env: { ...n.env, REDIS_URL: gate.url }, lockDurationMs: 60_000 });
  cleanups.push(() => rowWorker.stop());
  await gate.held;
  const line = (await n.lines()).find((entry) => entry['id'] === 'held-002');
  assert.equal(line?.['status'], 'completed');
  await rm(join(n.outDir, String(line['file'])));

  const script = n.target.scriptPath;
  const enqueue = startCli(['enqueue', script, '--run', 'night'], {
    ...n.env,
    TTS_OUT_DIR: n.target.outRoot,
  });
  let exited = false;
  void enqueue.done.finally(() => (exited = true));
  await until(() => exited || enqueue.stderr().includes('waiting for a worker'), 'enqueue to wait or end');
  assert.match(enqueue.stderr(), /waiting for a worker to let go of the job of row held-002/);
  gate.release();
  const outcome = await enqueue.done;
  assert.equal(outcome.code, 0, outcome.stderr);
  assert.deepEqual(rowCounts(outcome.stdout), { new: 1, unchanged: 0, skipped: 2 });

  // Made again: a second manifest line for it, then the run's manifest written with that take.
  let remade: Record<string, unknown> | undefined;
  await until(async () => {
    const lines = (await n.lines()).filter((entry) => entry['id'] === 'held-002');
    remade = lines.length >= 2 ? lines.at(-1) : undefined;
    return remade !== undefined;
  }, 'held-002 to be made again');
  let entries: Record<string, unknown>[] | undefined;
  await until(() => {
    entries = finishedManifest(n.outDir, rows.length);
    const entry = entries?.find((row) => row['id'] === 'held-002');
    return entry?.['request_id'] === remade?.['request_id'];
  }, 'the manifest with the new take');
  assert.ok(entries);
  for (const entry of entries) assert.equal(entry['status'], 'completed', String(entry['id']));
  const text = sha256(rows[1]?.text ?? '');
  assert.equal(n.sim.ledger().submits.filter((submit) => submit.text_sha256 === text).length, 2);
  assert.equal(entries.find((entry) => entry['id'] === 'held-002')?.['submits'], 2);
  assertBilledAtMostRecorded(n.sim.ledger(), entries);
});
