import { access, mkdtemp, readdir, readFile, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { runKeys } from '../src/queue/keys.js';
import { startSimulator } from '../src/simulator/server.js';
import { startPrivateRedis } from '../test/helpers/redis.js';
import { log, round, type Figures, type ScenarioResult, type TableRow } from './common.js';
import { retryWhileBusy } from './redis-stall.js';
import { afterFinisher, beforeFinisher, finishQueuedJobs, loadBeforeRecorder } from './finished-run.js';
import { writeCsvScript } from './script-file.js';
import { startTreeWorker, workerEnv } from './tree-workers.js';
import { AFTER, ensureBaseTree, treeCli, type Tree } from './trees.js';

/** Rows of the run whose last rows the worker makes. */
export const RSS_RUN_ROWS = 100_000;
/**
 * Rows the worker process makes itself (the last ones of the run; the others are finished
 * beforehand through the tree's own functions): ~12-20 rows/s on this machine when it is shared, so
 * 100,000 would take over an hour per tree. `BENCH_RSS_WORKER_ROWS=100000` makes the worker do the whole run.
 */
export const RSS_WORKER_ROWS = Number(process.env['BENCH_RSS_WORKER_ROWS'] ?? 10_000);
const QUICK_RUN_ROWS = 20_000;
const QUICK_WORKER_ROWS = 5_000;
/** A tree's run stops here even if the worker has not made its rows (the curve then ends early). */
const MAX_S = 40 * 60;
const CONCURRENCY = 32;
/** The simulator's default latency model, scaled: a 5 s request takes 50 ms. */
const LATENCY_SCALE = 0.01;
const SAMPLE_MS = 2000;
/** Audio files are deleted this long after they are first seen: 100,000 rows of ~8 s are ~38 GB. */
const AUDIO_KEPT_MS = 20_000;
const RUN = 'bench';
const PREFIX = 'br';

type Sample = {
  readonly atS: number;
  /** Rows made by the worker process (outcomes recorded beyond the pre-finished ones). */
  readonly made: number;
  /** VmRSS of the worker process, from /proc. */
  readonly rssMb: number;
  readonly heapUsedMb: number;
  readonly arrayBuffersMb: number;
  /** CPU time of the worker process so far (user + system), s. */
  readonly cpuS: number;
};

type Measured = {
  readonly tree: Tree;
  readonly runRows: number;
  readonly workerRows: number;
  readonly samples: readonly Sample[];
  /** Seconds from the worker's start to its last row, then to manifest.json (undefined: not reached). */
  readonly rowsS: number | undefined;
  readonly manifestS: number | undefined;
  /** VmHWM of the worker at the end: its peak RSS, spikes between samples included. */
  readonly peakRssMb: number;
  /** RSS once the final manifests are written. */
  readonly endRssMb: number;
};

async function procStatusMb(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
  return match?.[1] === undefined ? NaN : Number(match[1]) / 1024;
}

/** User + system CPU time of a process, s (fields 14 and 15 of /proc/<pid>/stat, in clock ticks of 10 ms). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

type ProbeLine = { heapUsedMb: number; arrayBuffersMb: number };

async function lastProbeLine(file: string): Promise<ProbeLine | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const last = text.trimEnd().split('\n').at(-1);
  return last ? (JSON.parse(last) as ProbeLine) : undefined;
}

/**
 * Deletes the run's audio files while it goes on (the worker never reads them again): every
 * AUDIO_KEPT_MS, the .wav files already listed the pass before. No stat per file: on a loaded
 * machine a stat of each of thousands of files held up the sampling by tens of seconds.
 */
function pruneAudioLoop(outDir: string): { stop(): Promise<void> } {
  const stopping = new AbortController();
  const loop = (async () => {
    let listed = new Set<string>();
    while (!stopping.signal.aborted) {
      const names = (await readdir(outDir).catch(() => [] as string[])).filter((name) =>
        name.endsWith('.wav'),
      );
      for (const name of names) if (listed.has(name)) await unlink(join(outDir, name)).catch(() => {});
      listed = new Set(names.filter((name) => !listed.has(name)));
      await delay(AUDIO_KEPT_MS, undefined, { signal: stopping.signal }).catch(() => {});
    }
  })();
  return {
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * A run of `runRows` rows is enqueued with the tree's CLI; all but its last `workerRows` rows are
 * finished through the tree's own functions (see finished-run.ts); then one worker process of the
 * tree (through bench/worker-probe.ts, which adds V8's heap figures; LOG_LEVEL info, its JSON log
 * lines to a file) makes the last rows, ending with the run's final manifests. Its RSS is sampled
 * every SAMPLE_MS until manifest.json is written (or MAX_S).
 */
export async function measureWorkerRss(tree: Tree, runRows: number, workerRows: number): Promise<Measured> {
  const server = await startPrivateRedis();
  const redis = new Redis(server.url);
  const root = await mkdtemp(join(tmpdir(), 'tts-bench-rss-'));
  const sim = await startSimulator({ port: 0, host: '127.0.0.1', seed: 9, latencyScale: LATENCY_SCALE });
  try {
    const script = join(root, 'script.csv');
    await writeCsvScript(script, runRows);
    const enqueued = await treeCli(
      tree,
      ['enqueue', script, '--run', RUN, '--out', join(root, 'out')],
      { REDIS_URL: server.url, TTS_QUEUE_PREFIX: PREFIX },
      1_800_000,
    );
    if (enqueued.code !== 0)
      throw new Error(`bench: ${tree.label} enqueue exited ${enqueued.code}: ${enqueued.stderr}`);
    const outDir = join(root, 'out', RUN);
    const prefinished = runRows - workerRows;
    if (prefinished > 0) {
      log(`worker-rss: ${tree.label}: finish the first ${prefinished} rows through its own functions`);
      const finisher =
        tree.label === 'after'
          ? await afterFinisher(redis, PREFIX, outDir)
          : beforeFinisher(redis, PREFIX, await loadBeforeRecorder());
      const { finished } = await finishQueuedJobs(redis, PREFIX, finisher, (data) => data.seq >= prefinished);
      await finisher.close();
      if (finished !== prefinished)
        throw new Error(`bench: ${finished} rows finished, expected ${prefinished}`);
    }

    const probeFile = join(root, 'probe.jsonl');
    const worker = startTreeWorker(
      tree,
      {
        ...workerEnv(server.url, PREFIX, sim.url, CONCURRENCY),
        LOG_LEVEL: 'info',
        BENCH_PROBE_FILE: probeFile,
        BENCH_PROBE_EVERY_MS: String(SAMPLE_MS),
        BENCH_WORKER_ENTRY: join(tree.root, 'workers/worker.ts'),
      },
      { entry: resolve('bench/worker-probe.ts'), stdoutPath: join(root, 'worker.log') },
    );
    const outcomes = runKeys(PREFIX, RUN).outcomes;
    const manifest = join(outDir, 'manifest.json');
    const samples: Sample[] = [];
    const startedAt = performance.now();
    const pruner = pruneAudioLoop(outDir);
    let rowsS: number | undefined;
    let manifestS: number | undefined;
    let loggedAt = 0;
    let peakRssMb = NaN;
    let endRssMb = NaN;
    try {
      for (;;) {
        const atS = (performance.now() - startedAt) / 1000;
        const [done, rssMb, probe, cpuS] = await Promise.all([
          retryWhileBusy(() => redis.hlen(outcomes)),
          procStatusMb(worker.pid, 'VmRSS'),
          lastProbeLine(probeFile),
          cpuSeconds(worker.pid),
        ]);
        const made = done - prefinished;
        samples.push({
          atS,
          made,
          rssMb,
          heapUsedMb: probe?.heapUsedMb ?? NaN,
          arrayBuffersMb: probe?.arrayBuffersMb ?? NaN,
          cpuS,
        });
        if (atS - loggedAt >= 60) {
          loggedAt = atS;
          log(
            `worker-rss: ${tree.label}: ${made} rows made, RSS ${rssMb.toFixed(0)} MB, heap ${probe?.heapUsedMb.toFixed(0) ?? '?'} MB`,
          );
        }
        if (rowsS === undefined && made >= workerRows) rowsS = atS;
        if (rowsS !== undefined && manifestS === undefined && (await exists(manifest))) manifestS = atS;
        // A few samples after the final manifests: what the worker keeps once its run is over.
        if (manifestS !== undefined && atS - manifestS >= 3 * (SAMPLE_MS / 1000)) break;
        if (atS > MAX_S || worker.child.exitCode !== null) break;
        await delay(SAMPLE_MS);
      }
      peakRssMb = await procStatusMb(worker.pid, 'VmHWM');
      endRssMb = samples.at(-1)?.rssMb ?? NaN;
    } finally {
      await worker.stop();
      await pruner.stop();
    }
    return { tree, runRows, workerRows, samples, rowsS, manifestS, peakRssMb, endRssMb };
  } finally {
    redis.disconnect();
    await sim.close();
    await server.stop();
    await rm(root, { recursive: true, force: true });
  }
}

/** Least-squares slope of `pick` over rows made, MB per 10,000 rows, from the samples with at least `from` rows. */
function slopePer10k(samples: readonly Sample[], from: number, pick: (s: Sample) => number): number {
  const points = samples.filter((s) => s.made >= from && Number.isFinite(pick(s)));
  if (points.length < 2) return NaN;
  const meanX = points.reduce((sum, s) => sum + s.made, 0) / points.length;
  const meanY = points.reduce((sum, s) => sum + pick(s), 0) / points.length;
  let num = 0;
  let den = 0;
  for (const s of points) {
    num += (s.made - meanX) * (pick(s) - meanY);
    den += (s.made - meanX) ** 2;
  }
  return den === 0 ? NaN : (num / den) * 10_000;
}

/**
 * The median of `pick` over the samples within ±`halfWidth` rows of `made` (RSS swings by ~60 MB
 * with each major GC, so a single sample says little). The first point is the worker's start:
 * its first `halfWidth` rows (before them it is still loading its modules).
 */
function medianAround(
  samples: readonly Sample[],
  made: number,
  halfWidth: number,
  pick: (s: Sample) => number,
): number {
  const near = samples
    .filter((s) => (made === 0 ? s.made >= 1 && s.made <= halfWidth : Math.abs(s.made - made) <= halfWidth))
    .map(pick)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  return near[Math.floor(near.length / 2)] ?? NaN;
}

function figuresOf(m: Measured): { figures: Figures; measure: string; peakRssMb: number } {
  const key = `worker_rss.${m.tree.label}`;
  const working = m.samples.filter((s) => m.rowsS === undefined || s.atS <= m.rowsS);
  const reached = working.at(-1)?.made ?? 0;
  const points = [0, 0.25, 0.5, 0.75, 1].map((share) => Math.round(share * m.workerRows));
  const halfWidth = m.workerRows / 20;
  const at = (pick: (s: Sample) => number) =>
    Object.fromEntries(
      points.map((made) => [
        `rows_${made}`,
        made <= reached ? round(medianAround(working, made, halfWidth, pick), 0) : null,
      ]),
    );
  const rss = at((s) => s.rssMb);
  const warm = Math.round(m.workerRows / 10);
  const rssSlope = slopePer10k(working, warm, (s) => s.rssMb);
  const heapSlope = slopePer10k(working, warm, (s) => s.heapUsedMb);
  const buffersSlope = slopePer10k(working, warm, (s) => s.arrayBuffersMb);
  const first = working.find((s) => s.made >= 1);
  const last = working.at(-1);
  const elapsedS = (last?.atS ?? NaN) - (first?.atS ?? NaN);
  const cpuMsPerRow =
    (((last?.cpuS ?? NaN) - (first?.cpuS ?? NaN)) * 1000) / ((last?.made ?? NaN) - (first?.made ?? NaN));
  const figures: Figures = {
    [`${key}.run_rows`]: m.runRows,
    [`${key}.worker_rows`]: m.workerRows,
    [`${key}.rows_made`]: reached,
    [`${key}.rows_per_s`]: round(((last?.made ?? NaN) - (first?.made ?? NaN)) / elapsedS, 1),
    [`${key}.cpu_ms_per_row`]: round(cpuMsPerRow, 1),
    [`${key}.rss_mb_at`]: rss,
    [`${key}.heap_used_mb_at`]: at((s) => s.heapUsedMb),
    [`${key}.rss_mb_per_10k_rows`]: round(rssSlope, 2),
    [`${key}.heap_used_mb_per_10k_rows`]: round(heapSlope, 2),
    [`${key}.array_buffers_mb_per_10k_rows`]: round(buffersSlope, 2),
    [`${key}.rss_mb_extrapolated_100k_rows`]: round(
      medianAround(working, reached, halfWidth, (s) => s.rssMb) + (rssSlope * (100_000 - reached)) / 10_000,
      0,
    ),
    [`${key}.final_manifests_s`]:
      m.manifestS !== undefined && m.rowsS !== undefined ? round(m.manifestS - m.rowsS, 1) : null,
    [`${key}.rss_mb_end`]: round(m.endRssMb, 0),
    [`${key}.rss_mb_peak`]: round(m.peakRssMb, 0),
    [`${key}.samples_made_rss_heap_cpu`]: m.samples
      .filter((_, index) => index % 10 === 0 || index === m.samples.length - 1)
      .map((s) => [s.made, round(s.rssMb, 0), round(s.heapUsedMb, 0), round(s.cpuS, 1)]),
  };
  const cells = points.map((made) => `${rss[`rows_${made}`] ?? '–'}`).join(' / ');
  const measure =
    `${m.tree.label}: RSS ${cells} MB after 0/${points
      .slice(1)
      .map((p) => `${p / 1000}k`)
      .join('/')} rows made ` +
    `(${rssSlope.toFixed(1)} MB per 10k rows, heap ${heapSlope.toFixed(1)}; ${cpuMsPerRow.toFixed(1)} ms CPU per row); ` +
    (m.manifestS !== undefined
      ? `final manifests of the ${m.runRows / 1000}k-row run: ${m.endRssMb.toFixed(0)} MB after, ${m.peakRssMb.toFixed(0)} MB peak`
      : `final manifests not reached in ${MAX_S} s; ${m.peakRssMb.toFixed(0)} MB peak`);
  return { figures, measure, peakRssMb: m.peakRssMb };
}

/**
 * A worker's resident memory over a long run, before (BASE_COMMIT) and after (this tree): see
 * measureWorkerRss. Figures are medians of the samples around each point, and the slope of RSS
 * over the rows made after the first tenth.
 */
export async function benchWorkerRss(quick: boolean): Promise<ScenarioResult> {
  const runRows = quick ? QUICK_RUN_ROWS : RSS_RUN_ROWS;
  const workerRows = quick ? QUICK_WORKER_ROWS : Math.min(RSS_WORKER_ROWS, runRows);
  const before = await ensureBaseTree();
  const figures: Figures = {};
  const table: TableRow[] = [];
  // `BENCH_TREES=after` measures one tree only (to finish a run that was cut short).
  const trees = (process.env['BENCH_TREES'] ?? 'before,after').split(',');
  for (const tree of [before, AFTER].filter((t) => trees.includes(t.label))) {
    log(
      `worker-rss: ${tree.label}: a ${runRows}-row run, one worker makes its last ${workerRows} rows, ${CONCURRENCY} in flight`,
    );
    const {
      figures: treeFigures,
      measure,
      peakRssMb,
    } = figuresOf(await measureWorkerRss(tree, runRows, workerRows));
    Object.assign(figures, treeFigures);
    // In the log as well: a run this long should not lose a tree's figures to a later failure.
    log(`worker-rss: ${tree.label}: ${JSON.stringify(treeFigures)}`);
    table.push({
      scenario: `worker RSS, ${runRows / 1000}k-row run`,
      measure,
      value: `${peakRssMb.toFixed(0)} MB peak`,
      goal: 'reported',
      met: undefined,
    });
  }
  return { figures, rows: table };
}
