/**
 * A large run brought to "every row but the last finished" without running workers, for the
 * completion benchmark: after a real `tts-batch enqueue`, each queued job is read back from Redis
 * (its `data`, as a worker receives it) and finished the way that tree's worker finishes a row:
 * its manifest entry built with the tree's own `manifestEntry`, its outcome recorded with the
 * tree's own record call, its job hash deleted (BullMQ's removeOnComplete). For the current tree
 * the entry is also appended to manifest.jsonl and the row's audio file made (a hard link to a
 * template file, so a million rows cost directory entries, not inodes), and the outcome is marked
 * lined, as the worker does. One row in a hundred ends failed.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, writeFileSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { link, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { sha256Hex } from '../src/enqueue/content-hash.js';
import { ROWS_QUEUE } from '../src/queue/keys.js';
import type { ManifestEntry } from '../src/output/manifest-entry.js';
import type { RowJobData } from '../src/queue/row-job.js';
import { emptyProgress, type RowProgress, type SavedAudio } from '../src/queue/row-progress.js';
import { markLined, recordRowOutcome } from '../src/queue/run-outcomes.js';
import { manifestEntry, rowOutcome, type OutcomeInput } from '../src/worker/row-steps/manifest-line.js';
import { BASE_TREE } from './trees.js';

/** Jobs read, finished and deleted per round trip. */
const PAGE_JOBS = 1000;
/** Record calls in flight. */
const RECORDS_IN_FLIGHT = 64;
const LINKS_PER_TEMPLATE = 50_000;
const AUDIO_TEMPLATE = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(44_100)]);
const FAILED_ERROR = 'the API answered FAILED: inference failed';

export const isFailedRow = (seq: number) => seq % 100 === 99;

/** What finishing one row takes, for one tree: the record call, then what its worker does after it. */
export type RowFinisher = {
  /** Records the row's outcome with the tree's own call; says whether the run is complete. */
  record(data: RowJobData): Promise<{ readonly finished: boolean }>;
  /** What the worker does once the outcome is recorded (line, audio file, mark), where the tree does it. */
  afterRecord(data: RowJobData): Promise<void>;
  /** Flushes what `afterRecord` buffered (manifest.jsonl). */
  close(): Promise<void>;
};

async function finishRow(finisher: RowFinisher, data: RowJobData): Promise<void> {
  await finisher.record(data);
  await finisher.afterRecord(data);
}

/** A job left queued by finishQueuedJobs: its data, and its job hash's key. */
export type KeptJob = { readonly data: RowJobData; readonly jobKey: string };

/**
 * Every queued job of the run, read from Redis in the order workers take them (oldest first),
 * `PAGE_JOBS` at a time, is finished through `finisher` and its job hash deleted, except the jobs
 * `keep(data)` selects: those stay queued, in their order (the wait list is rebuilt with them
 * alone, as if workers had taken the others). The finisher is left open.
 */
export async function finishQueuedJobs(
  redis: Redis,
  prefix: string,
  finisher: RowFinisher,
  keep: (data: RowJobData) => boolean,
): Promise<{ readonly finished: number; readonly kept: readonly KeptJob[] }> {
  const queueKey = (name: string) => `${prefix}:${ROWS_QUEUE}:${name}`;
  const wait = queueKey('wait');
  const length = await redis.llen(wait);
  const kept: KeptJob[] = [];
  const keptIds: string[] = [];
  let finished = 0;
  const pending: Promise<void>[] = [];
  // LPUSH adds at the head and workers take from the tail: the tail is the oldest job.
  for (let end = length - 1; end >= 0; end -= PAGE_JOBS) {
    const ids = (await redis.lrange(wait, Math.max(0, end - PAGE_JOBS + 1), end)).reverse();
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hget(queueKey(id), 'data');
    const datas = (await pipeline.exec()) ?? [];
    const done: string[] = [];
    for (const [at, id] of ids.entries()) {
      const data = JSON.parse(String(datas[at]?.[1])) as RowJobData;
      if (keep(data)) {
        kept.push({ data, jobKey: queueKey(id) });
        keptIds.push(id);
        continue;
      }
      pending.push(finishRow(finisher, data));
      if (pending.length >= RECORDS_IN_FLIGHT) await Promise.all(pending.splice(0));
      done.push(queueKey(id));
      finished += 1;
    }
    await Promise.all(pending.splice(0));
    if (done.length > 0) await redis.unlink(...done);
  }
  await redis.unlink(wait);
  // Oldest first, each pushed at the head: the oldest ends at the tail, where workers take.
  for (let start = 0; start < keptIds.length; start += PAGE_JOBS)
    await redis.lpush(wait, ...keptIds.slice(start, start + PAGE_JOBS));
  return { finished, kept };
}

async function writeLine(lines: WriteStream, line: string): Promise<void> {
  if (!lines.write(`${line}\n`)) await once(lines, 'drain');
}

function savedAudio(data: RowJobData): SavedAudio {
  return {
    file: `${data.id}.wav`,
    bytes: AUDIO_TEMPLATE.length,
    durationS: 2.5,
    sha256: sha256Hex(data.id),
    requestId: randomUUID(),
    inferenceTimeS: 3.1,
    cost: 0.0067,
  };
}

/** The current tree: slim outcome in Redis, the full entry in manifest.jsonl, the audio file on disk. */
export async function afterFinisher(redis: Redis, prefix: string, outDir: string): Promise<RowFinisher> {
  await mkdir(outDir, { recursive: true });
  // ext4 allows 65,000 links to one inode: a new template every LINKS_PER_TEMPLATE rows.
  let links = 0;
  let template = '';
  const nextTemplate = () => {
    template = join(outDir, `.bench-audio-template-${links / LINKS_PER_TEMPLATE}`);
    writeFileSync(template, AUDIO_TEMPLATE);
  };
  const lines = createWriteStream(join(outDir, 'manifest.jsonl'), { flags: 'a' });
  let writing = Promise.resolve();
  const entries = new Map<string, ManifestEntry>();
  return {
    async record(data) {
      const failed = isFailedRow(data.seq);
      const saved = failed ? undefined : savedAudio(data);
      const outcome: OutcomeInput = saved
        ? { status: 'completed', saved }
        : { status: 'failed', error: FAILED_ERROR, retry: 'resubmit' };
      const progress: RowProgress = {
        ...emptyProgress(data.contentHash, 1),
        calls: 3,
        lastRequestId: saved?.requestId ?? randomUUID(),
        saved,
      };
      const entry = manifestEntry(data, progress, 1, outcome, new Date());
      const stats = { audioMs: (entry.duration_s ?? 0) * 1000, costUsd: entry.cost ?? 0 };
      const recorded = await recordRowOutcome(
        redis,
        prefix,
        data.run,
        data.id,
        rowOutcome(entry, outcome),
        stats,
        Date.now(),
      );
      if (recorded.result !== 'recorded') throw new Error(`bench: row ${data.id} was ${recorded.result}`);
      entries.set(data.id, entry);
      return recorded;
    },
    async afterRecord(data) {
      const entry = entries.get(data.id);
      if (!entry) throw new Error(`bench: row ${data.id} has no recorded entry`);
      entries.delete(data.id);
      if (entry.file !== null) {
        if (links % LINKS_PER_TEMPLATE === 0) nextTemplate();
        links += 1;
        await link(template, join(outDir, entry.file));
      }
      // Lines in the order the rows finish, one writer: as appendLine does across workers.
      writing = writing.then(() => writeLine(lines, JSON.stringify(entry)));
      await writing;
      await markLined(redis, prefix, data.run, data.id, data.contentHash);
    },
    async close() {
      await writing;
      lines.end();
      await once(lines, 'finish');
    },
  };
}

/** The row job data of BASE_COMMIT (it carried the output directory and the progress). */
type BeforeJobData = RowJobData & { readonly outDir: string };
type BeforeProgress = {
  readonly submits: number;
  readonly requestIds: readonly string[];
  readonly resubmitReasons: readonly string[];
  readonly calls: number;
  readonly saved?: SavedAudio;
};
type BeforeOutcome =
  | { readonly status: 'completed'; readonly saved: SavedAudio }
  | { readonly status: 'failed'; readonly error: string };
type BeforeEntry = { readonly id: string; readonly content_hash: string };

/** BASE_COMMIT's own functions, loaded from its worktree. */
export type BeforeRecorder = {
  manifestEntry(
    data: BeforeJobData,
    progress: BeforeProgress,
    attempts: number,
    outcome: BeforeOutcome,
    finishedAt: Date,
  ): BeforeEntry;
  recordOutcome(
    redis: Redis,
    prefix: string,
    run: string,
    entry: BeforeEntry,
  ): Promise<{ readonly recorded: boolean; readonly finished: boolean }>;
};

export async function loadBeforeRecorder(): Promise<BeforeRecorder> {
  const entries = (await import(join(BASE_TREE, 'src/worker/row-outcome.ts'))) as Pick<
    BeforeRecorder,
    'manifestEntry'
  >;
  const outcomes = (await import(join(BASE_TREE, 'src/queue/run-outcomes.ts'))) as Pick<
    BeforeRecorder,
    'recordOutcome'
  >;
  return { manifestEntry: entries.manifestEntry, recordOutcome: outcomes.recordOutcome };
}

/**
 * BASE_COMMIT: the full entry is the outcome in Redis; its report reads only Redis, so no
 * manifest.jsonl or audio file is made (its worker appended the line without the content hash).
 */
export function beforeEntry(recorder: BeforeRecorder, data: RowJobData): BeforeEntry {
  const failed = isFailedRow(data.seq);
  const saved = failed ? undefined : savedAudio(data);
  const requestId = saved?.requestId ?? randomUUID();
  const progress: BeforeProgress = {
    submits: 1,
    requestIds: [requestId],
    resubmitReasons: [],
    calls: 3,
    ...(saved ? { saved } : {}),
  };
  const outcome: BeforeOutcome = saved
    ? { status: 'completed', saved }
    : { status: 'failed', error: FAILED_ERROR };
  return recorder.manifestEntry(data as BeforeJobData, progress, 1, outcome, new Date());
}

export function beforeFinisher(redis: Redis, prefix: string, recorder: BeforeRecorder): RowFinisher {
  return {
    async record(data) {
      const recorded = await recorder.recordOutcome(redis, prefix, data.run, beforeEntry(recorder, data));
      if (!recorded.recorded) throw new Error(`bench: row ${data.id} was not recorded`);
      return recorded;
    },
    afterRecord: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}
