import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { reconcileRun } from '../src/enqueue/reconcile.js';
import { resolveRowDefaults } from '../src/enqueue/row-defaults.js';
import { scanScript } from '../src/enqueue/scan-script.js';
import { ROWS_QUEUE } from '../src/queue/keys.js';
import { loadSettings } from '../src/settings.js';
import { enqueueRowsOk } from './helpers/enqueue-rows.js';
import { nightRows, startNight } from './helpers/night.js';
import { finishedManifest, until } from './helpers/processes.js';
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
