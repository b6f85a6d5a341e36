// A worker process with a memory probe, for bench/worker-rss.ts only: every BENCH_PROBE_EVERY_MS
// it appends process.memoryUsage() and V8's heap spaces to BENCH_PROBE_FILE (one JSON line),
// then it runs the worker entry point BENCH_WORKER_ENTRY (a tree's workers/worker.ts) as it is.
// Heap snapshots come from node's own --heapsnapshot-signal, not from here.
import { appendFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

const file = process.env['BENCH_PROBE_FILE'];
const entry = process.env['BENCH_WORKER_ENTRY'];
if (!file || !entry) throw new Error('worker-probe: set BENCH_PROBE_FILE and BENCH_WORKER_ENTRY');
const everyMs = Number(process.env['BENCH_PROBE_EVERY_MS'] ?? 2000);

const MB = 2 ** 20;
const sample = () => {
  const usage = process.memoryUsage();
  const spaces = Object.fromEntries(
    getHeapSpaceStatistics().map((space) => [space.space_name, Math.round(space.space_used_size / MB)]),
  );
  const line = {
    atMs: Date.now(),
    rssMb: usage.rss / MB,
    heapUsedMb: usage.heapUsed / MB,
    heapTotalMb: usage.heapTotal / MB,
    externalMb: usage.external / MB,
    arrayBuffersMb: usage.arrayBuffers / MB,
    spaces,
  };
  appendFileSync(file, `${JSON.stringify(line)}\n`);
};
setInterval(sample, everyMs).unref();
sample();

await import(entry);
