import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { runKeys } from '../src/queue/keys.js';
import { startSimulator } from '../src/simulator/server.js';
import { startPrivateRedis } from '../test/helpers/redis.js';
import { log, round, waitUntil, type Figures, type ScenarioResult, type TableRow } from './common.js';
import { footprintByKind, memoryStats, usedMemoryBytes, type KindFootprint } from './redis-footprint.js';
import { retryWhileBusy } from './redis-stall.js';
import { writeCsvScript } from './script-file.js';
import { startTreeWorker, workerEnv } from './tree-workers.js';
import { AFTER, ensureBaseTree, treeCli, type Tree } from './trees.js';

/**
 * Rows enqueued (and finished by worker processes, ~25 rows/s on this machine) per measurement;
 * `--quick` uses QUICK_MEMORY_ROWS. Per-row figures hardly depend on it: see `growsPerRow`.
 */
export const MEMORY_ROWS = 10_000;
const QUICK_MEMORY_ROWS = 5_000;
/** The value-size limit of a listpack hash that the issue suggests raising (Redis default: 64). */
export const LISTPACK_VALUE_BYTES = 1024;
/** Simulator latency scale while the run is finished: a 5 s request takes 50 ms. */
const FINISH_LATENCY_SCALE = 0.01;
const FINISH_WORKERS = 2;
const FINISH_CONCURRENCY = 64;
const RUN = 'bench';
const PREFIX = 'bm';

type Footprint = {
  readonly bytesPerRow: number;
  /**
   * The same without BullMQ's events stream, which BullMQ trims to about 10,000 events
   * (`maxLenEvents`) whatever the run's size: what each further row adds to a large run.
   */
  readonly growsPerRow: number;
  readonly kinds: Record<string, KindFootprint>;
  /** `MEMORY STATS` figures that tell the data set from Redis's own overhead. */
  readonly stats: Record<string, number>;
};

const STATS_SHOWN = [
  'total.allocated',
  'dataset.bytes',
  'overhead.total',
  'db.0.overhead.hashtable.main',
  'clients.normal',
  'lua.caches',
] as const;

type Measured = {
  readonly tree: Tree;
  readonly listpackValueBytes: number | undefined;
  readonly queued: Footprint;
  readonly finished: Footprint | undefined;
  readonly finishS: number | undefined;
};

/** Waits until the bench's own connection is the server's only client: a gone process's buffers are freed. */
async function onlyClientLeft(redis: Redis): Promise<void> {
  await waitUntil(
    async () =>
      String(await redis.client('LIST'))
        .trim()
        .split('\n').length <= 1,
    30_000,
    'the other Redis clients to leave',
    50,
  );
}

async function footprint(redis: Redis, baseBytes: number, rows: number): Promise<Footprint> {
  await onlyClientLeft(redis);
  const used = await usedMemoryBytes(redis);
  const all = await memoryStats(redis);
  const stats = Object.fromEntries(STATS_SHOWN.map((name) => [name, all[name] ?? NaN]));
  const kinds = await footprintByKind(redis, PREFIX);
  const events = kinds['queue events']?.bytes ?? 0;
  return {
    bytesPerRow: (used - baseBytes) / rows,
    growsPerRow: (used - baseBytes - events) / rows,
    kinds,
    stats,
  };
}

/**
 * One measurement on a fresh private redis-server: `used_memory` before the enqueue, after the
 * real `tts-batch enqueue` of `rows` rows (per queued row), and, with `finish`, after worker
 * processes of the same tree have finished the run against the simulator and exited (per
 * finished row: completed jobs are removed, the run's hashes stay).
 */
export async function measureRedisMemory(
  tree: Tree,
  script: string,
  rows: number,
  listpackValueBytes: number | undefined,
  finish: boolean,
): Promise<Measured> {
  const server = await startPrivateRedis();
  const redis = new Redis(server.url);
  const outRoot = await mkdtemp(join(tmpdir(), 'tts-bench-memory-'));
  try {
    if (listpackValueBytes !== undefined)
      await redis.config('SET', 'hash-max-listpack-value', String(listpackValueBytes));
    const baseBytes = await usedMemoryBytes(redis);
    const env = { REDIS_URL: server.url, TTS_QUEUE_PREFIX: PREFIX };
    const enqueued = await treeCli(tree, ['enqueue', script, '--run', RUN, '--out', outRoot], env, 600_000);
    if (enqueued.code !== 0)
      throw new Error(`bench: ${tree.label} enqueue exited ${enqueued.code}: ${enqueued.stderr}`);
    const queued = await footprint(redis, baseBytes, rows);
    if (!finish) return { tree, listpackValueBytes, queued, finished: undefined, finishS: undefined };

    const sim = await startSimulator({
      port: 0,
      host: '127.0.0.1',
      seed: 5,
      latencyScale: FINISH_LATENCY_SCALE,
    });
    const startedAt = performance.now();
    try {
      const workers = Array.from({ length: FINISH_WORKERS }, () =>
        startTreeWorker(tree, workerEnv(server.url, PREFIX, sim.url, FINISH_CONCURRENCY)),
      );
      const outcomes = runKeys(PREFIX, RUN).outcomes;
      let shownAt = performance.now();
      await waitUntil(
        async () => {
          const done = await retryWhileBusy(() => redis.hlen(outcomes));
          if (performance.now() - shownAt > 60_000) {
            log(`redis-memory: ${tree.label}: ${done} of ${rows} rows finished`);
            shownAt = performance.now();
          }
          return done >= rows;
        },
        3_600_000,
        `${tree.label}: ${rows} rows finished`,
        500,
      );
      const manifest = join(outRoot, RUN, 'manifest.json');
      await waitUntil(
        () =>
          access(manifest).then(
            () => true,
            () => false,
          ),
        300_000,
        'manifest.json',
        200,
      );
      await Promise.all(workers.map((worker) => worker.stop()));
    } finally {
      await sim.close();
    }
    const finishS = (performance.now() - startedAt) / 1000;
    const finished = await footprint(redis, baseBytes, rows);
    return { tree, listpackValueBytes, queued, finished, finishS };
  } finally {
    redis.disconnect();
    await server.stop();
    await rm(outRoot, { recursive: true, force: true });
  }
}

const perRow = (kinds: Record<string, KindFootprint>, rows: number) =>
  Object.fromEntries(
    Object.entries(kinds)
      .sort(([, a], [, b]) => b.bytes - a.bytes)
      .map(([kind, { keys, bytes, encoding }]) => [
        kind,
        { keys, bytes_per_row: round(bytes / rows, 1), encoding },
      ]),
  );

/** The biggest kinds of keys, per row: `job hashes 1101 B (hashtable), run rows 60 B`. */
const breakdown = (kinds: Record<string, KindFootprint>, rows: number) =>
  Object.entries(kinds)
    .sort(([, a], [, b]) => b.bytes - a.bytes)
    .slice(0, 3)
    .map(([kind, { bytes, encoding }]) => `${kind} ${Math.round(bytes / rows)} B (${encoding})`)
    .join(', ');

/**
 * Redis memory per queued and per finished row, before (BASE_COMMIT) and after (this tree), with
 * Redis's default `hash-max-listpack-value` (64) and with 1024. The run is finished for the
 * default setting only: the run's own hashes have one field per row, far more than
 * `hash-max-listpack-entries` (128), so they are hash tables whatever the value limit, and a
 * finished run keeps no job hashes.
 */
export async function benchRedisMemory(quick: boolean): Promise<ScenarioResult> {
  const rows = quick ? QUICK_MEMORY_ROWS : MEMORY_ROWS;
  const before = await ensureBaseTree();
  const scriptDir = await mkdtemp(join(tmpdir(), 'tts-bench-memory-script-'));
  const script = join(scriptDir, 'script.csv');
  const measured: Measured[] = [];
  try {
    await writeCsvScript(script, rows);
    for (const tree of [before, AFTER]) {
      for (const listpack of [undefined, LISTPACK_VALUE_BYTES]) {
        const finish = listpack === undefined;
        log(
          `redis-memory: ${tree.label}: enqueue ${rows} rows${listpack ? `, hash-max-listpack-value ${listpack}` : ''}${finish ? ', then finish the run' : ''}`,
        );
        measured.push(await measureRedisMemory(tree, script, rows, listpack, finish));
      }
    }
  } finally {
    await rm(scriptDir, { recursive: true, force: true });
  }
  const find = (label: Tree['label'], listpack: boolean) => {
    const found = measured.find(
      (m) => m.tree.label === label && (m.listpackValueBytes !== undefined) === listpack,
    );
    if (!found) throw new Error(`bench: no ${label} memory measurement`);
    return found;
  };
  const figures: Figures = {};
  const table: TableRow[] = [];
  for (const m of measured) {
    const key = `redis_memory.${m.tree.label}.${m.listpackValueBytes ? `listpack_${m.listpackValueBytes}` : 'default'}`;
    figures[`${key}.bytes_per_queued_row`] = round(m.queued.bytesPerRow, 0);
    figures[`${key}.bytes_per_queued_row_without_events`] = round(m.queued.growsPerRow, 0);
    figures[`${key}.queued_by_kind`] = perRow(m.queued.kinds, rows);
    if (m.finished) {
      figures[`${key}.bytes_per_finished_row`] = round(m.finished.bytesPerRow, 0);
      figures[`${key}.bytes_per_finished_row_without_events`] = round(m.finished.growsPerRow, 0);
      figures[`${key}.finished_by_kind`] = perRow(m.finished.kinds, rows);
      figures[`${key}.finish_s`] = round(m.finishS ?? NaN, 0);
    }
  }
  figures['redis_memory.rows'] = rows;
  const scenario = `redis memory, ${rows} rows`;
  for (const label of ['before', 'after'] as const) {
    const plain = find(label, false);
    const listpack = find(label, true);
    table.push({
      scenario,
      measure: `${label}: used_memory per queued row (${breakdown(plain.queued.kinds, rows)}); without the events stream`,
      value: `${Math.round(plain.queued.bytesPerRow)} B; ${Math.round(plain.queued.growsPerRow)} B`,
      goal: 'reported',
      met: undefined,
    });
    table.push({
      scenario,
      measure: `${label}: the same with hash-max-listpack-value ${LISTPACK_VALUE_BYTES} (${breakdown(listpack.queued.kinds, rows)}); ratio to the default`,
      value: `${Math.round(listpack.queued.bytesPerRow)} B (${(listpack.queued.bytesPerRow / plain.queued.bytesPerRow).toFixed(2)})`,
      goal: 'reported',
      met: undefined,
    });
    if (plain.finished)
      table.push({
        scenario,
        measure: `${label}: used_memory per finished row, workers gone (${breakdown(plain.finished.kinds, rows)}); without the events stream`,
        value: `${Math.round(plain.finished.bytesPerRow)} B; ${Math.round(plain.finished.growsPerRow)} B`,
        goal: 'reported',
        met: undefined,
      });
  }
  const old = find('before', false);
  const now = find('after', false);
  const queuedRatio = now.queued.bytesPerRow / old.queued.bytesPerRow;
  const queuedGrowsRatio = now.queued.growsPerRow / old.queued.growsPerRow;
  figures['redis_memory.queued_ratio_after_to_before'] = round(queuedRatio);
  figures['redis_memory.queued_without_events_ratio_after_to_before'] = round(queuedGrowsRatio);
  table.push({
    scenario,
    measure: 'per queued row, after ÷ before (default settings); without the events stream',
    value: `ratio ${queuedRatio.toFixed(2)}; ${queuedGrowsRatio.toFixed(2)}`,
    goal: 'reported',
    met: undefined,
  });
  if (old.finished && now.finished) {
    const finishedRatio = now.finished.bytesPerRow / old.finished.bytesPerRow;
    const finishedGrowsRatio = now.finished.growsPerRow / old.finished.growsPerRow;
    figures['redis_memory.finished_ratio_after_to_before'] = round(finishedRatio);
    figures['redis_memory.finished_without_events_ratio_after_to_before'] = round(finishedGrowsRatio);
    table.push({
      scenario,
      measure: 'per finished row, after ÷ before (default settings); without the events stream',
      value: `ratio ${finishedRatio.toFixed(2)}; ${finishedGrowsRatio.toFixed(2)}`,
      goal: 'reported',
      met: undefined,
    });
  }
  return { figures, rows: table };
}
