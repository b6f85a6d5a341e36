import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { runKeys } from '../src/queue/keys.js';
import type { RowJobData } from '../src/queue/row-job.js';
import { startPrivateRedis } from '../test/helpers/redis.js';
import { log, round, type Figures, type ScenarioResult, type TableRow } from './common.js';
import {
  afterFinisher,
  beforeFinisher,
  finishQueuedJobs,
  loadBeforeRecorder,
  type RowFinisher,
} from './finished-run.js';
import { logEveryCommand, slowestScriptUs, watchStalls } from './redis-stall.js';
import { writeCsvScript } from './script-file.js';
import { AFTER, ensureBaseTree, treeCli, type Tree } from './trees.js';

/** Run sizes measured; `--quick` measures QUICK_COMPLETION_ROWS only; `BENCH_COMPLETION_ROWS=1000000` picks sizes. */
export const COMPLETION_ROWS: readonly number[] = process.env['BENCH_COMPLETION_ROWS']
  ? process.env['BENCH_COMPLETION_ROWS'].split(',').map(Number)
  : [200_000, 1_000_000];
const QUICK_COMPLETION_ROWS = [20_000] as const;
/** `BENCH_TREES=after` measures one tree only (to finish a run that was cut short; no ratio then). */
const TREES = (process.env['BENCH_TREES'] ?? 'before,after').split(',');
/** The last row's record is timed this many times (its outcome deleted in between). */
const RECORD_ROUNDS = 3;
/** `tts-batch report` is timed this many times (once when it fails), twice past 200,000 rows. */
const reportRounds = (rows: number) => (rows > 200_000 ? 2 : 3);
const RUN = 'bench';
const PREFIX = 'bc';
const COMMAND_TIMEOUT_MS = 1_800_000;

type Timed = {
  readonly ms: number;
  readonly serverMs: number;
  readonly othersStalledMs: number;
  readonly busy: number;
};
type ReportRound = {
  readonly s: number;
  readonly peakRssMb: number;
  readonly othersStalledMs: number;
  readonly code: number | null;
};

type Measured = {
  readonly tree: Tree;
  readonly rows: number;
  readonly enqueueS: number;
  readonly stateS: number;
  readonly lastRecord: readonly Timed[];
  readonly startupS: number;
  readonly report: readonly ReportRound[];
  /** The failing report's error line (it exits non-zero). */
  readonly reportError: string | undefined;
  readonly reportSummary: string;
};

/** The last row's record, timed by the caller, by SLOWLOG (the script's own run) and by another client's PINGs. */
async function timeLastRecord(
  redis: Redis,
  url: string,
  finisher: RowFinisher,
  last: RowJobData,
): Promise<Timed> {
  await logEveryCommand(redis);
  const watch = await watchStalls(url);
  const startedAt = performance.now();
  const recorded = await finisher.record(last);
  const ms = performance.now() - startedAt;
  const stalls = await watch.stop();
  const serverMs = (await slowestScriptUs(redis)) / 1000;
  await redis.config('SET', 'slowlog-log-slower-than', '10000');
  if (!recorded.finished) throw new Error('bench: the last row did not finish the run');
  return { ms, serverMs, othersStalledMs: stalls.maxStallMs, busy: stalls.busyReplies };
}

/**
 * One tree at one size, on a fresh private redis-server: the real `tts-batch enqueue`, every row
 * but the last finished through that tree's own functions (see finished-run.ts), the last row's
 * record timed RECORD_ROUNDS times, then `tts-batch report` timed with its peak RSS.
 */
async function measureTree(tree: Tree, script: string, rows: number): Promise<Measured> {
  const server = await startPrivateRedis();
  const redis = new Redis(server.url);
  const outRoot = await mkdtemp(join(tmpdir(), 'tts-bench-completion-'));
  const env = { REDIS_URL: server.url, TTS_QUEUE_PREFIX: PREFIX, TTS_OUT_DIR: outRoot };
  try {
    log(`completion: ${tree.label}: enqueue ${rows} rows`);
    const enqueued = await treeCli(
      tree,
      ['enqueue', script, '--run', RUN, '--out', outRoot],
      env,
      COMMAND_TIMEOUT_MS,
    );
    if (enqueued.code !== 0)
      throw new Error(`bench: ${tree.label} enqueue exited ${enqueued.code}: ${enqueued.stderr}`);

    log(`completion: ${tree.label}: finish ${rows - 1} rows through its own functions`);
    const stateStartedAt = performance.now();
    const outDir = join(outRoot, RUN);
    const finisher =
      tree.label === 'after'
        ? await afterFinisher(redis, PREFIX, outDir)
        : beforeFinisher(redis, PREFIX, await loadBeforeRecorder());
    const { finished, kept } = await finishQueuedJobs(
      redis,
      PREFIX,
      finisher,
      (data) => data.seq === rows - 1,
    );
    const [heldBack] = kept;
    if (finished !== rows - 1 || !heldBack)
      throw new Error(`bench: ${finished} rows finished, expected ${rows - 1}`);
    const stateS = (performance.now() - stateStartedAt) / 1000;

    const lastRecord: Timed[] = [];
    for (let at = 0; at < RECORD_ROUNDS; at += 1) {
      if (at > 0) await redis.hdel(runKeys(PREFIX, RUN).outcomes, heldBack.data.id);
      lastRecord.push(await timeLastRecord(redis, server.url, finisher, heldBack.data));
    }
    log(
      `completion: ${tree.label}: last record ${lastRecord.map((t) => `${t.ms.toFixed(1)} ms`).join(', ')}`,
    );
    await finisher.afterRecord(heldBack.data);
    await finisher.close();
    await redis.unlink(heldBack.jobKey, `${PREFIX}:rows:wait`);

    const startup = await treeCli(tree, ['report', '--help'], env, 60_000);
    const report: ReportRound[] = [];
    let reportError: string | undefined;
    let reportSummary = '';
    for (let at = 0; at < reportRounds(rows) && reportError === undefined; at += 1) {
      const watch = await watchStalls(server.url);
      const result = await treeCli(tree, ['report', '--run', RUN], env, COMMAND_TIMEOUT_MS);
      const stalls = await watch.stop();
      report.push({
        s: result.elapsedMs / 1000,
        peakRssMb: result.peakRssMb,
        othersStalledMs: stalls.maxStallMs,
        code: result.code,
      });
      log(
        `completion: ${tree.label}: report exit ${result.code} in ${(result.elapsedMs / 1000).toFixed(1)} s, peak RSS ${result.peakRssMb.toFixed(0)} MB`,
      );
      if (result.code !== 0) {
        const lines = result.stderr.split('\n');
        reportError = (lines.find((line) => /Error/.test(line)) ?? lines.at(-2) ?? '').trim().slice(0, 200);
        continue;
      }
      reportSummary = result.stdout.split('\n')[0] ?? '';
      const failed = Math.floor(rows / 100);
      if (!reportSummary.includes(`${rows - failed} completed, ${failed} failed, 0 pending`))
        throw new Error(`bench: ${tree.label} report says: ${reportSummary}`);
    }
    return {
      tree,
      rows,
      enqueueS: enqueued.elapsedMs / 1000,
      stateS,
      lastRecord,
      startupS: startup.elapsedMs / 1000,
      report,
      reportError,
      reportSummary,
    };
  } finally {
    redis.disconnect();
    await server.stop();
    await rm(outRoot, { recursive: true, force: true });
  }
}

const best = (values: readonly number[]) => Math.min(...values);
const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};
const ms = (value: number) => (value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(2)} ms`);

function figuresOf(m: Measured): Figures {
  const key = `completion.${m.rows}.${m.tree.label}`;
  const good = m.report.filter((r) => r.code === 0);
  return {
    [`${key}.last_record_ms_median`]: round(median(m.lastRecord.map((t) => t.ms)), 3),
    [`${key}.last_record_server_ms_median`]: round(median(m.lastRecord.map((t) => t.serverMs)), 3),
    [`${key}.others_stalled_ms_max`]: round(Math.max(...m.lastRecord.map((t) => t.othersStalledMs)), 1),
    [`${key}.busy_replies`]: m.lastRecord.reduce((sum, t) => sum + t.busy, 0),
    [`${key}.last_record_ms_all`]: m.lastRecord.map((t) => round(t.ms, 3)),
    [`${key}.report_s_best`]: good.length > 0 ? round(best(good.map((r) => r.s)), 2) : null,
    [`${key}.report_s_all`]: m.report.map((r) => round(r.s, 2)),
    [`${key}.report_peak_rss_mb_max`]: round(Math.max(...m.report.map((r) => r.peakRssMb)), 0),
    [`${key}.report_others_stalled_ms_max`]: round(Math.max(...m.report.map((r) => r.othersStalledMs)), 1),
    [`${key}.report_error`]: m.reportError ?? null,
    [`${key}.report_startup_s`]: round(m.startupS, 2),
    [`${key}.enqueue_s`]: round(m.enqueueS, 1),
    [`${key}.state_s`]: round(m.stateS, 1),
  };
}

function tableOf(before: Measured, after: Measured): TableRow[] {
  const scenario = `completion, ${before.rows} rows`;
  const lastBefore = median(before.lastRecord.map((t) => t.ms));
  const lastAfter = median(after.lastRecord.map((t) => t.ms));
  const serverBefore = median(before.lastRecord.map((t) => t.serverMs));
  const serverAfter = median(after.lastRecord.map((t) => t.serverMs));
  const stalledBefore = Math.max(...before.lastRecord.map((t) => t.othersStalledMs));
  const stalledAfter = Math.max(...after.lastRecord.map((t) => t.othersStalledMs));
  const reportCell = (m: Measured) => {
    const good = m.report.filter((r) => r.code === 0);
    const rss = Math.max(...m.report.map((r) => r.peakRssMb)).toFixed(0);
    if (good.length === 0)
      return `failed after ${m.report[0]?.s.toFixed(1) ?? '?'} s (${rss} MB): ${m.reportError ?? ''}`;
    return `${best(good.map((r) => r.s)).toFixed(1)} s best of ${good.length}, ${rss} MB peak RSS`;
  };
  const afterReport = after.report.filter((r) => r.code === 0).map((r) => r.s);
  const beforeReport = before.report.filter((r) => r.code === 0).map((r) => r.s);
  return [
    {
      scenario,
      measure: `last row's record, median of ${RECORD_ROUNDS}: before ${ms(lastBefore)} (Lua ${ms(serverBefore)} in SLOWLOG), after ${ms(lastAfter)} (Lua ${ms(serverAfter)})`,
      value: `ratio ${(lastAfter / lastBefore).toPrecision(2)}`,
      goal: 'reported',
      met: undefined,
    },
    {
      scenario,
      measure: `longest wait of another client's PING meanwhile: before ${ms(stalledBefore)}${before.lastRecord.some((t) => t.busy > 0) ? ' (answered BUSY past 5 s)' : ''}, after ${ms(stalledAfter)}`,
      value: `${ms(stalledAfter)}`,
      goal: 'reported',
      met: undefined,
    },
    {
      scenario,
      measure: `tts-batch report: before ${reportCell(before)}; after ${reportCell(after)}`,
      value:
        afterReport.length > 0 && beforeReport.length > 0
          ? `ratio ${(best(afterReport) / best(beforeReport)).toFixed(2)}`
          : afterReport.length > 0
            ? `${best(afterReport).toFixed(1)} s`
            : 'failed',
      goal: 'reported',
      met: undefined,
    },
  ];
}

/**
 * When the last row of a large run lands: how long its record call blocks Redis, and how long
 * `tts-batch report` takes and how much memory, at 200,000 and 1,000,000 rows, before
 * (BASE_COMMIT) and after (this tree). See finished-run.ts for how the finished run is made.
 */
export async function benchCompletion(quick: boolean): Promise<ScenarioResult> {
  const before = await ensureBaseTree();
  const figures: Figures = {};
  const table: TableRow[] = [];
  for (const rows of quick ? QUICK_COMPLETION_ROWS : COMPLETION_ROWS) {
    const scriptDir = await mkdtemp(join(tmpdir(), 'tts-bench-completion-script-'));
    try {
      const script = join(scriptDir, 'script.csv');
      await writeCsvScript(script, rows);
      const measured: Measured[] = [];
      for (const tree of [before, AFTER].filter((t) => TREES.includes(t.label))) {
        const m = await measureTree(tree, script, rows);
        const treeFigures = figuresOf(m);
        Object.assign(figures, treeFigures);
        // In the log as well: a run this long should not lose a tree's figures to a later failure.
        log(`completion: ${JSON.stringify(treeFigures)}`);
        measured.push(m);
      }
      const [old, now] = measured;
      if (old && now) table.push(...tableOf(old, now));
    } finally {
      await rm(scriptDir, { recursive: true, force: true });
    }
  }
  return { figures, rows: table };
}
