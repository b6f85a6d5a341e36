import { resolve, join } from 'node:path';
import { Queue } from 'bullmq';
import { UsageError } from '../errors.js';
import { ROWS_QUEUE } from '../queue/keys.js';
import { connectRedis, makeRedis, type RedisClient } from '../redis/connection.js';
import { checkRedisServer } from '../redis/server-checks.js';
import { RunDirInUseError } from '../output/run-mark.js';
import { loadSettings } from '../settings.js';
import { claimRunOutput, enqueueScan } from '../enqueue/enqueue.js';
import { connectForDryRun, dryRunEnqueue } from '../enqueue/dry-run.js';
import { formatDryRun } from '../enqueue/dry-run-format.js';
import { makeProgress } from '../enqueue/progress.js';
import { resolveRowDefaults } from '../enqueue/row-defaults.js';
import { EnqueueIncompleteError, isRedisOutOfMemory } from '../enqueue/enqueue-incomplete.js';
import { enqueueSummary, metadataLine } from '../enqueue/enqueue-summary.js';
import { parseMetadataFlag } from '../enqueue/metadata-flag.js';
import { checkRunName, defaultRunName } from '../enqueue/run-name.js';
import { openRowSpool, type RowSpool } from '../enqueue/row-spool.js';
import { scanScript } from '../enqueue/scan-script.js';
import { scanVerdict } from '../enqueue/scan-verdict.js';
import { describeSchedule, parseScheduleAt } from '../enqueue/schedule-at.js';
import { formatProblems, ScriptError } from '../script/problems.js';
import { checkScriptFile } from '../script/read-script.js';
import { assemblyPauses } from '../assembly/assembly-settings.js';
import { ffmpegFoundHere } from '../assembly/audio-tools.js';
import { chaptersLine } from '../assembly/chapters-line.js';
import { budgetLine, parseBudgetUsd } from '../enqueue/run-budget-limit.js';
import { masterLines, parseMasterFlag } from '../master/master-flag.js';
import { describeWindow, parseWindow } from '../queue/run-window.js';
import { defineCommand } from './command-args.js';
import { limitHeapGrowthForEnqueue } from './heap-growth.js';

const HELP = `Usage: tts-batch enqueue <file> [options]

Validates every row of a narration script (.csv, .jsonl or .ndjson), then adds one job per row
to the queue. Enqueueing the same script again adds nothing; only new or changed rows are queued,
and a row whose identical audio is already in the run's output directory is skipped.

Options:
  --run NAME         run name (default: the script's file name without extension)
  --out DIR          output root; the run is written to DIR/NAME (default: TTS_OUT_DIR, ./out)
  --model SLUG       default model: gemini-3.1-flash-tts or gemini-2.5-flash-tts (default: TTS_MODEL)
  --voice NAME       default voice_1 (default: TTS_VOICE, else the model's default voice)
  --voice2 NAME      default voice_2, making every row a two-speaker dialogue (default: TTS_VOICE2)
  --temperature T    default temperature, 0 to 2 (default: TTS_TEMPERATURE, else 0.4)
  --at TIME          hold the run until TIME: HH:MM (next occurrence, local time; the current
                     minute means now) or an ISO time (2026-05-01T02:00, +01:00 or Z for a zone)
  --metadata COL     carry column COL as metadata although its name looks like a misspelled field
                     (voice1, Voice_1, temprature are refused otherwise); COL,COL or repeated
  --chapters         join the rows into chapter files and an audiobook, grouped by their
                     \`chapter\` column (a book's rows always are; see TTS_PAUSE_*_MS)
  --master acx       also master every chapter (without chapters: every clip) for ACX
                     (Audible): MP3s in master/ and acx-report.json/.csv; needs an ffmpeg
                     (default TTS_MASTER; none: no mastering)
  --budget USD       cap what the run spends: a submit that would pass it waits (rows held, not
                     failed) until \`tts-batch budget --run NAME --usd N\` raises it (default
                     TTS_BUDGET_USD for a run without one)
  --window HH:MM-HH:MM
                     start the run's rows only inside this daily window (local time, TZ; across
                     midnight: 22:00-07:00); rows in flight when it closes finish; \`none\` removes it
  --dry-run          compare with the run in Redis and on disk (rows new, changed, done,
                     removed) and print what would be billed: rows, characters, audio minutes,
                     rows per model and voice, cost (price table and observed), calls and time;
                     read-only: adds and writes nothing
  --skip-invalid     enqueue the valid rows and list the invalid ones (default: refuse the script)
  -h, --help         show this help

Through npm, put \`--\` before the flags: npm run enqueue -- jobs.csv --dry-run

A row's own columns win over the options above; every other column is carried to the manifest
as metadata (listed when enqueueing). Problems are listed as file:line: field: message.
A row whose audio for the same content is in the run's output directory (manifest.jsonl and the
file, checked) but unknown to Redis (restarted empty) is adopted, not made again. One enqueue of a
run at a time: a second one waits up to 30 s for the first, then gives up (exit 1).
The output directory is marked as the run's (.tts-run.json); another run's directory is refused.
Redis must not evict keys (maxmemory-policy noeviction) unless TTS_ALLOW_EVICTION=1.

Exit status: 0 done, 2 bad script, usage or setup (nothing enqueued), 1 any other failure.
`;

const ARGS = {
  options: {
    run: { type: 'string' },
    out: { type: 'string' },
    model: { type: 'string' },
    voice: { type: 'string' },
    voice2: { type: 'string' },
    temperature: { type: 'string' },
    at: { type: 'string' },
    metadata: { type: 'string', multiple: true },
    chapters: { type: 'boolean' },
    master: { type: 'string' },
    budget: { type: 'string' },
    window: { type: 'string' },
    'dry-run': { type: 'boolean' },
    'skip-invalid': { type: 'boolean' },
  },
  allowPositionals: true,
} as const;

/** `tts-batch enqueue <file>`: validate the whole script, then add one job per row. */
export const runEnqueueCommand = defineCommand(HELP, ARGS, async ({ values, positionals }, context) => {
  if (positionals.length !== 1 || positionals[0] === undefined) {
    throw new UsageError(`Expected one script file, got ${positionals.length}\n\n${HELP}`);
  }
  const shownFile = positionals[0];
  const file = resolve(context.cwd, shownFile);
  const settings = loadSettings(context.env);
  const dryRun = values['dry-run'] === true;
  limitHeapGrowthForEnqueue();

  let redis: RedisClient | undefined;
  let queue: Queue | undefined;
  let spool: RowSpool | undefined;
  const progress = makeProgress({ stream: context.stderr });
  try {
    const sizeBytes = await checkScriptFile(file);
    const run = values.run === undefined ? defaultRunName(file) : checkRunName(values.run);
    const defaults = resolveRowDefaults(values, settings);
    const metadataColumns = parseMetadataFlag(values.metadata);
    const scheduledAt = values.at === undefined ? 0 : parseScheduleAt(values.at, Date.now());
    const budgetUsd = values.budget === undefined ? undefined : parseBudgetUsd(values.budget);
    const master = values.master === undefined ? settings.master : parseMasterFlag(values.master);
    const window = values.window === undefined ? undefined : (parseWindow(values.window) ?? null);
    const outDir = join(resolve(context.cwd, values.out ?? settings.outDir), run);
    if (!dryRun) {
      redis = makeRedis(settings, 'command');
      redis.on('error', () => {});
      await connectRedis(redis, settings);
      const server = await checkRedisServer(redis, { allowEviction: settings.allowEviction });
      for (const warning of server.warnings) context.stderr.write(`warning: ${warning}\n`);
      if (server.refusal !== undefined) {
        context.stderr.write(`tts-batch enqueue: ${server.refusal}; nothing was enqueued\n`);
        return 2;
      }
    }

    const validation = {
      defaults,
      maxChars: settings.maxChars,
      metadataColumns,
      chunkChars: settings.chunkChars,
    };
    spool = await openRowSpool();
    progress.start('reading', sizeBytes, 'rows');
    const scan = await scanScript(
      file,
      validation,
      (rows, bytes) => {
        context.signal.throwIfAborted();
        progress.update(bytes, rows);
      },
      spool,
    );
    progress.stop();
    const verdict = scanVerdict(scan, shownFile, {
      skipInvalid: values['skip-invalid'] === true,
      metadataColumns,
    });
    for (const message of verdict.messages) context.stderr.write(`${message}\n`);
    if (verdict.refused) return 2;

    if (dryRun) {
      context.stdout.write(`run: ${run} (dry run: nothing added)\n`);
      const connected = await connectForDryRun(settings);
      if ('redis' in connected) redis = connected.redis;
      const dry = await dryRunEnqueue(scan, {
        ...connected,
        redis,
        prefix: settings.queuePrefix,
        run,
        outDir,
        spool,
        settings,
        signal: context.signal,
      });
      context.stdout.write(`${formatDryRun(dry, scan.validRows, outDir, settings)}\n`);
      // As enqueue would set it: --budget, else the run's own limit, else TTS_BUDGET_USD.
      const limitUsd = budgetUsd ?? dry.budget?.limitUsd ?? settings.budgetUsd;
      const budget = budgetLine(dry.estimate, limitUsd, dry.budget?.spentUsd);
      if (budget !== undefined) context.stdout.write(`${budget}\n`);
      if (window) context.stdout.write(`${describeWindow(window, Date.now())}\n`);
      context.stdout.write(`${metadataLine(scan)}\n`);
      if (scheduledAt > 0) context.stdout.write(`start: ${describeSchedule(scheduledAt, Date.now())}\n`);
      return 0;
    }
    if (redis === undefined || spool === undefined) {
      throw new Error('unreachable: Redis and the spool are ready unless --dry-run');
    }
    const mark = await claimRunOutput(redis, settings.queuePrefix, run, outDir, new Date());
    queue = new Queue(ROWS_QUEUE, { connection: redis, prefix: settings.queuePrefix });
    queue.on('error', () => {});
    const result = await enqueueScan(
      scan,
      {
        run,
        outDir,
        defaults,
        scheduledAt,
        runId: mark.run_id,
        chunkChars: settings.chunkChars,
        budget: { usd: budgetUsd, defaultUsd: settings.budgetUsd },
        ...(window === undefined ? {} : { window }),
        chapters: { chapters: values.chapters === true, pauses: assemblyPauses(settings), master },
      },
      {
        redis,
        queue,
        prefix: settings.queuePrefix,
        nowMs: Date.now,
        progress,
        signal: context.signal,
        spool,
        notice: (message) => context.stderr.write(`note: ${message}\n`),
      },
    );
    context.stdout.write(enqueueSummary(run, outDir, result, scan, scheduledAt, Date.now()));
    const chapters = await chaptersLine(redis, settings.queuePrefix, run);
    if (chapters !== undefined) context.stdout.write(`${chapters}\n`);
    const ffmpegFound = master === undefined || (await ffmpegFoundHere(settings));
    for (const line of masterLines(master, chapters !== undefined, ffmpegFound)) {
      context[line.stream].write(`${line.text}\n`);
    }
    return 0;
  } catch (error) {
    if (error instanceof EnqueueIncompleteError) {
      context.stderr.write(error.explain());
      return 1;
    }
    if (isRedisOutOfMemory(error)) {
      context.stderr.write(
        'tts-batch enqueue: Redis refused a write: out of memory (maxmemory); nothing was enqueued. Free some memory in Redis, then run the same command again\n',
      );
      return 1;
    }
    if (context.signal.aborted && !(error instanceof ScriptError)) {
      context.stderr.write(
        'tts-batch enqueue: stopped before the run was written to Redis; nothing was enqueued\n',
      );
      return 1;
    }
    if (error instanceof RunDirInUseError) {
      context.stderr.write(`tts-batch enqueue: ${error.message}; nothing was enqueued\n`);
      return 2;
    }
    if (!(error instanceof ScriptError)) throw error;
    context.stderr.write(`${formatProblems(shownFile, error.problems, error.moreCount)}\n`);
    context.stderr.write('tts-batch enqueue: the script cannot be read; nothing was enqueued\n');
    return 2;
  } finally {
    progress.stop();
    await spool?.remove();
    await queue?.close().catch(() => {});
    await redis?.quit().catch(() => redis?.disconnect());
  }
});
