import type { Queue } from 'bullmq';
import type { RedisClient } from '../redis/connection.js';
import { TtsBatchError } from '../errors.js';
import { ROW_JOB_OPTIONS } from '../queue/job-options.js';
import { rowJobId } from '../queue/keys.js';
import type { RowJobData } from '../queue/row-job.js';
import type { RowSpool, SpooledRow } from './row-spool.js';
import type { ScriptScan } from './scan-script.js';
import { splitRowText } from './split-row.js';

/** Jobs per `addBulk`: large enough to amortise the round trip, small enough for one Lua call's memory. */
export const ADD_CHUNK_JOBS = 1000;

/**
 * `addBulk` calls in flight. BullMQ's client work for a chunk (job objects, msgpack, command
 * encoding) runs when addBulk is called, so with one in flight Node and Redis take turns; with
 * two, Node builds chunk n+1 while Redis runs chunk n (on 2 cores, 200,000 rows went from 22 s
 * to 16 s; a third in flight gained under 5%). One connection keeps the chunks in order.
 */
export const ADD_IN_FLIGHT = 2;

/** One row's `addBulk` entry: the job payload, its stable id and the row job options. */
export type RowJobEntry = {
  readonly name: 'row';
  readonly data: RowJobData;
  readonly opts: typeof ROW_JOB_OPTIONS & { readonly jobId: string; readonly delay?: number };
};

/**
 * The job of a validated row: the one place a row becomes a job payload (the benchmark's raw
 * addBulk baseline and the worker tests build theirs here too, so all add the same jobs).
 */
export function rowJobEntry(
  run: string,
  outDir: string,
  row: SpooledRow,
  id: string,
  contentHash: string,
  /** `TTS_CHUNK_CHARS`: a longer text is sent in parts. */
  chunkChars: number,
): RowJobEntry {
  const parts = splitRowText(row.request.text, chunkChars);
  const data: RowJobData = {
    run,
    id,
    line: row.line,
    seq: row.seq,
    request: row.request,
    meta: row.meta,
    contentHash,
    outDir,
    ...(parts ? { parts } : {}),
  };
  return { name: 'row', data, opts: { ...ROW_JOB_OPTIONS, jobId: rowJobId(run, id, contentHash) } };
}

export type AddJobsOptions = {
  readonly queue: Queue;
  /** The queue's connection, to count the jobs of a chunk that failed part-way. */
  readonly redis: RedisClient;
  readonly run: string;
  readonly outDir: string;
  /** ms since epoch; 0 = not scheduled. */
  readonly scheduledAt: number;
  /** `TTS_CHUNK_CHARS`: rows longer than this are sent in parts. */
  readonly chunkChars: number;
  readonly nowMs: () => number;
  readonly signal?: AbortSignal;
};

/**
 * `addRowJobs` stopped (Redis out of memory, the command aborted, the connection lost). `added`
 * counts the jobs in Redis: those confirmed, plus those of the chunks under way found there
 * after they settled; `exact` is false when that check failed too (then it is a lower bound).
 */
export class AddJobsStoppedError extends TtsBatchError {
  override name = 'AddJobsStoppedError' as const;
  constructor(
    readonly added: number,
    readonly exact: boolean,
    options: { readonly cause: unknown },
  ) {
    super(`adding jobs stopped after ${added}`, options);
  }
}

/** A chunk of jobs handed to `addBulk`: settled when Redis has answered for all of them. */
type Chunk = { readonly jobIds: readonly string[]; readonly adding: Promise<void> };

/** How many of these jobs are in Redis (an `addBulk` that failed part-way added some). */
async function countExistingJobs(
  redis: RedisClient,
  queue: Queue,
  jobIds: readonly string[],
): Promise<number> {
  const results = await redis.pipeline(jobIds.map((jobId) => ['exists', queue.toKey(jobId)])).exec();
  return (results ?? []).filter(([error, exists]) => error === null && exists === 1).length;
}

/**
 * Pass 2: adds a job for every row that needs one, from pass 1's spool of validated rows, in
 * chunks with `addBulk`. Resolves to the number of jobs added; a stop part-way rejects with an
 * AddJobsStoppedError saying how many were.
 */
export async function addRowJobs(
  options: AddJobsOptions,
  scan: ScriptScan,
  needsJob: Uint8Array,
  spool: RowSpool,
  onProgress: (jobsAdded: number) => void = () => {},
): Promise<number> {
  const { queue, run, outDir, scheduledAt } = options;
  let batch: RowJobEntry[] = [];
  let added = 0;
  let queued = 0;
  /** Oldest first; a chunk leaves only once it was added, so a failed one stays to be counted. */
  const inFlight: Chunk[] = [];
  const settleOldest = async () => {
    await inFlight[0]?.adding;
    inFlight.shift();
  };
  const flush = async () => {
    while (inFlight.length >= ADD_IN_FLIGHT) await settleOldest();
    if (batch.length === 0) return;
    options.signal?.throwIfAborted();
    const delay = scheduledAt > 0 ? Math.max(0, scheduledAt - options.nowMs()) : 0;
    const jobs = delay > 0 ? batch.map((job) => ({ ...job, opts: { ...job.opts, delay } })) : batch;
    queued += batch.length;
    batch = [];
    const adding = queue.addBulk(jobs).then(() => {
      added += jobs.length;
      onProgress(added);
    });
    // Handled now, rethrown when awaited: no unhandled rejection in between.
    adding.catch(() => {});
    inFlight.push({ jobIds: jobs.map((job) => job.opts.jobId), adding });
  };
  const wanted = needsJob.reduce((sum, flag) => sum + flag, 0);
  if (wanted === 0) return 0;

  // From pass 1's spool: validated already, so only ids and hashes from the index are added.
  const takeSpooled = (row: SpooledRow): void => {
    if (needsJob[row.seq] !== 1) return;
    const id = scan.index.id(row.seq);
    const hash = scan.index.contentHash(row.seq);
    if (id === undefined || hash === undefined)
      throw new Error(`enqueue: line ${row.line} has no id or content hash in pass 1's index`);
    batch.push(rowJobEntry(run, outDir, row, id, hash, options.chunkChars));
  };

  try {
    for await (const rows of spool.read(ADD_CHUNK_JOBS)) {
      rows.forEach(takeSpooled);
      if (batch.length >= ADD_CHUNK_JOBS) await flush();
      if (queued + batch.length === wanted) break;
    }
    await flush();
    while (inFlight.length > 0) await settleOldest();
    if (added !== wanted) throw new Error(`enqueue: added ${added} jobs where ${wanted} were needed`);
    return added;
  } catch (error) {
    const settled = await Promise.allSettled(inFlight.map((chunk) => chunk.adding));
    let exact = true;
    for (const [at, chunk] of inFlight.entries()) {
      if (settled[at]?.status !== 'rejected') continue;
      try {
        added += await countExistingJobs(options.redis, queue, chunk.jobIds);
      } catch {
        exact = false;
      }
    }
    onProgress(added);
    throw new AddJobsStoppedError(added, exact, { cause: error });
  }
}
