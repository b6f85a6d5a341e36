import { DEFAULT_CHUNK_CHARS } from '../src/book/chunk-limits.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ADD_CHUNK_JOBS, ADD_IN_FLIGHT, rowJobEntry, type RowJobEntry } from '../src/enqueue/add-jobs.js';
import { contentHash } from '../src/enqueue/content-hash.js';
import { resolveRowDefaults } from '../src/enqueue/row-defaults.js';
import { ROWS_QUEUE } from '../src/queue/keys.js';
import { readScript } from '../src/script/read-script.js';
import { validateRecord } from '../src/script/validate-row.js';
import { loadSettings } from '../src/settings.js';
import { startPrivateRedis, type PrivateRedis } from '../test/helpers/redis.js';
import { log, round, runTimed, type Figures, type ScenarioResult, type TableRow } from './common.js';
import { writeCsvScript } from './script-file.js';

export const ENQUEUE_ROWS = 200_000;
export const RSS_ROWS = 1_000_000;
/** Each 200,000-row measurement is repeated, alternating, on an emptied Redis; the best counts. */
export const ENQUEUE_ROUNDS = 3;
const RUN = 'bench';

/** The jobs `tts-batch enqueue` adds for `file`, built (untimed) with the product's own reader and validator. */
async function jobsOf(file: string, outDir: string): Promise<RowJobEntry[]> {
  const defaults = resolveRowDefaults({}, loadSettings({}));
  const context = { defaults, maxChars: loadSettings({}).maxChars };
  const jobs: RowJobEntry[] = [];
  for await (const records of readScript(file)) {
    for (const record of records) {
      const result = validateRecord(record, context);
      if (!result.ok) throw new Error(`bench: invalid row ${record.line}`);
      const { row } = result;
      if (row.id === undefined) throw new Error(`bench: row ${record.line} has no id`);
      jobs.push(rowJobEntry(RUN, outDir, row, row.id, contentHash(row.request), DEFAULT_CHUNK_CHARS));
    }
  }
  return jobs;
}

/**
 * Raw BullMQ: `addBulk` of the same payloads in chunks of the same size, `inFlight` calls at a
 * time: 1 is the baseline (one after the other, as a hand-written script does); the
 * product's own depth is also measured, so that what the pipelining gains is not counted as the
 * product's own speed.
 */
async function rawAddBulkMs(
  redisUrl: string,
  jobs: readonly RowJobEntry[],
  prefix: string,
  inFlight: number,
): Promise<number> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(ROWS_QUEUE, { connection, prefix });
  await queue.waitUntilReady();
  const startedAt = performance.now();
  const pending: Promise<unknown>[] = [];
  for (let start = 0; start < jobs.length; start += ADD_CHUNK_JOBS) {
    while (pending.length >= inFlight) await pending.shift();
    const adding = queue.addBulk(jobs.slice(start, start + ADD_CHUNK_JOBS));
    adding.catch(() => {});
    pending.push(adding);
  }
  while (pending.length > 0) await pending.shift();
  const elapsedMs = performance.now() - startedAt;
  const waiting = await queue.getWaitingCount();
  await queue.close();
  connection.disconnect();
  if (waiting !== jobs.length)
    throw new Error(`bench: raw addBulk left ${waiting} jobs, expected ${jobs.length}`);
  return elapsedMs;
}

async function cliEnqueue(redis: PrivateRedis, file: string, out: string, prefix: string, timeoutMs: number) {
  const env = { REDIS_URL: redis.url, TTS_QUEUE_PREFIX: prefix, TTS_OUT_DIR: out };
  const result = await runTimed(
    'node',
    ['bin/tts-batch.js', 'enqueue', file, '--run', RUN, '--out', out],
    env,
    timeoutMs,
  );
  if (result.code !== 0) throw new Error(`bench: enqueue exited ${result.code}: ${result.stderr}`);
  const check = new Redis(redis.url);
  const queue = new Queue(ROWS_QUEUE, { connection: check, prefix });
  const waiting = await queue.getWaitingCount();
  await queue.close();
  check.disconnect();
  return { ...result, waiting };
}

/**
 * 200,000 rows: the whole `tts-batch enqueue` process (spawn to exit: start-up, validation pass,
 * reconcile, add pass) against `addBulk` alone. Then, unless `quick`, the peak RSS of enqueueing
 * 1,000,000 rows. Each on its own private Redis, so the second does not pay for the first's memory.
 */
export async function benchEnqueue(quick: boolean): Promise<ScenarioResult> {
  const dir = await mkdtemp(join(tmpdir(), 'tts-bench-enqueue-'));
  const rows: TableRow[] = [];
  try {
    const file = join(dir, 'script-200k.csv');
    await writeCsvScript(file, ENQUEUE_ROWS);
    const redis = await startPrivateRedis();
    const samples = { cli: [] as number[], raw: [] as number[], pipelined: [] as number[] };
    let peakRssMb = 0;
    try {
      const jobs = await jobsOf(file, join(dir, 'out', RUN));
      const flush = async () => {
        const client = new Redis(redis.url);
        await client.flushall();
        client.disconnect();
      };
      for (let round = 1; round <= ENQUEUE_ROUNDS; round += 1) {
        log(`enqueue: round ${round}/${ENQUEUE_ROUNDS}: tts-batch enqueue of ${ENQUEUE_ROWS} rows`);
        await flush();
        const cli = await cliEnqueue(redis, file, join(dir, 'out'), 'cli', 180_000);
        if (cli.waiting !== ENQUEUE_ROWS) throw new Error(`bench: enqueue left ${cli.waiting} jobs`);
        samples.cli.push(cli.elapsedMs);
        peakRssMb = Math.max(peakRssMb, cli.peakRssMb);
        log(
          `enqueue: round ${round}/${ENQUEUE_ROUNDS}: raw addBulk of the same payloads, 1 then ${ADD_IN_FLIGHT} in flight`,
        );
        await flush();
        samples.raw.push(await rawAddBulkMs(redis.url, jobs, 'raw', 1));
        await flush();
        samples.pipelined.push(await rawAddBulkMs(redis.url, jobs, 'raw', ADD_IN_FLIGHT));
      }
    } finally {
      await redis.stop();
    }
    // Best of the rounds for each: other processes on the machine only ever add time.
    const cli = { elapsedMs: Math.min(...samples.cli), peakRssMb };
    const rawMs = Math.min(...samples.raw);
    const pipelinedMs = Math.min(...samples.pipelined);
    const rowsPerS = ENQUEUE_ROWS / (cli.elapsedMs / 1000);
    const rawRowsPerS = ENQUEUE_ROWS / (rawMs / 1000);
    const pipelinedRowsPerS = ENQUEUE_ROWS / (pipelinedMs / 1000);
    const ratio = rowsPerS / rawRowsPerS;
    const ratioPipelined = rowsPerS / pipelinedRowsPerS;
    const seconds = (values: readonly number[]) => values.map((ms) => round(ms / 1000, 2)).join(' / ');
    log(
      `enqueue: rounds (s): enqueue ${seconds(samples.cli)}; addBulk ${seconds(samples.raw)}; pipelined ${seconds(samples.pipelined)}`,
    );
    const figures: Figures = {
      'enqueue.ratio': round(ratio),
      'enqueue.rows_per_s': Math.round(rowsPerS),
      'enqueue.addbulk_rows_per_s': Math.round(rawRowsPerS),
      'enqueue.addbulk_pipelined_rows_per_s': Math.round(pipelinedRowsPerS),
      'enqueue.ratio_vs_pipelined_addbulk': round(ratioPipelined),
      'enqueue.rounds_s': {
        ...Object.fromEntries(samples.cli.map((ms, at) => [`enqueue_${at + 1}`, round(ms / 1000, 2)])),
        ...Object.fromEntries(samples.raw.map((ms, at) => [`addbulk_${at + 1}`, round(ms / 1000, 2)])),
        ...Object.fromEntries(
          samples.pipelined.map((ms, at) => [`pipelined_${at + 1}`, round(ms / 1000, 2)]),
        ),
      },
    };
    rows.push({
      scenario: `enqueue ${ENQUEUE_ROWS} rows`,
      measure: `tts-batch enqueue ${Math.round(rowsPerS)} rows/s (${(cli.elapsedMs / 1000).toFixed(1)} s) vs addBulk ${Math.round(rawRowsPerS)} rows/s (${(rawMs / 1000).toFixed(1)} s)`,
      value: `ratio ${ratio.toFixed(2)}`,
      goal: '>= 0.7',
      met: ratio >= 0.7,
    });
    rows.push({
      scenario: `enqueue ${ENQUEUE_ROWS} rows`,
      measure: `the same vs addBulk with ${ADD_IN_FLIGHT} calls in flight, as enqueue adds: ${Math.round(pipelinedRowsPerS)} rows/s (${(pipelinedMs / 1000).toFixed(1)} s)`,
      value: `ratio ${ratioPipelined.toFixed(2)}`,
      goal: 'reported',
      met: undefined,
    });
    rows.push({
      scenario: `enqueue ${ENQUEUE_ROWS} rows`,
      measure: 'peak RSS of the enqueue process',
      value: `${cli.peakRssMb.toFixed(0)} MB`,
      goal: 'reported',
      met: undefined,
    });
    figures['enqueue.peak_rss_mb_200k'] = round(cli.peakRssMb, 1);
    if (!quick) {
      const big = join(dir, 'script-1m.csv');
      await writeCsvScript(big, RSS_ROWS);
      const redisBig = await startPrivateRedis();
      try {
        log(`enqueue: tts-batch enqueue of ${RSS_ROWS} rows (peak RSS)`);
        const run = await cliEnqueue(redisBig, big, join(dir, 'out-1m'), 'big', 600_000);
        if (run.waiting !== RSS_ROWS) throw new Error(`bench: 1M enqueue left ${run.waiting} jobs`);
        figures['enqueue.peak_rss_mb_1m'] = round(run.peakRssMb, 1);
        figures['enqueue.rows_per_s_1m'] = Math.round(RSS_ROWS / (run.elapsedMs / 1000));
        rows.push({
          scenario: `enqueue ${RSS_ROWS} rows`,
          measure: `peak RSS (VmHWM) of the enqueue process; ${(run.elapsedMs / 1000).toFixed(1)} s`,
          value: `${run.peakRssMb.toFixed(0)} MB`,
          goal: '< 300 MB',
          met: run.peakRssMb < 300,
        });
      } finally {
        await redisBig.stop();
      }
    }
    return { figures, rows };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
