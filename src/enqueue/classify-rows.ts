import type { Queue } from 'bullmq';
import type { RedisClient } from '../redis/connection.js';
import { rowJobId, runKeys } from '../queue/keys.js';
import { readRowOutcomes } from '../queue/run-outcomes.js';
import { audioFileStates } from '../report/audio-on-disk.js';
import type { ScriptScan } from './scan-script.js';

/** Rows per round trip while comparing the script with the run in Redis. */
export const RECONCILE_CHUNK_ROWS = 1000;

/** What a re-enqueue does with a script row, from what Redis and the output directory hold for it. */
export type RowKind =
  /** First seen, or its content changed: gets a job (the old content's job and outcome go). */
  | 'changed'
  /** Completed for this content and its audio file is there at its size: nothing to do. */
  | 'skipped'
  /** Its job for this content is in the queue (waiting, delayed, active or failed): left as it is. */
  | 'unchanged'
  /** No job, and no completed outcome with its file: queued again. */
  | 'requeued'
  /** Completed, but its audio file is gone; a job of it is still there: that job goes, a new one comes. */
  | 'requeued-stale-job';

export type ScriptRowRef = { readonly seq: number; readonly id: string; readonly hash: string };

export type ClassifyState = {
  readonly redis: RedisClient;
  /** Only its key names are used (a dry run names them without a Queue). */
  readonly queue: Pick<Queue, 'toKey'>;
  readonly prefix: string;
  readonly run: string;
  readonly outDir: string;
};

/**
 * Classifies one chunk of rows of a run enqueued before. The order of the reads matters: a
 * worker records a row's outcome before BullMQ removes its completed job, so whether the job
 * exists is read first and the outcomes after (never in parallel). A job seen gone then has its
 * outcome visible; read the other way round, a row finishing in between shows neither its job
 * nor its outcome, and was queued and paid for a second time.
 */
export async function classifyRows(
  state: ClassifyState,
  rows: readonly ScriptRowRef[],
): Promise<{
  readonly kinds: RowKind[];
  readonly previous: (string | null)[];
  /** Submits recorded by a completed outcome of the row's current content (0 if none). */
  readonly submits: number[];
}> {
  const { redis, queue, run, outDir } = state;
  const ids = rows.map((row) => row.id);
  const [previous, jobsExist] = await Promise.all([
    redis.hmget(runKeys(state.prefix, run).rows, ...ids),
    redis.pipeline(rows.map((row) => ['exists', queue.toKey(rowJobId(run, row.id, row.hash))])).exec(),
  ]);
  const outcomes = await readRowOutcomes(redis, state.prefix, run, ids);
  // Only completed outcomes of the row's current content have a file to look for.
  const completed = rows.map((row, at) => {
    const outcome = outcomes[at];
    return outcome?.status === 'completed' && outcome.contentHash === row.hash ? outcome : undefined;
  });
  const audio = await audioFileStates(
    outDir,
    completed.map((outcome) => outcome ?? { file: null, bytes: null }),
  );
  const kinds = rows.map((row, at): RowKind => {
    if (previous[at] !== row.hash) return 'changed';
    const jobThere = jobsExist?.[at]?.[1] === 1;
    if (completed[at] !== undefined) {
      if (audio[at] === 'ok') return 'skipped';
      return jobThere ? 'requeued-stale-job' : 'requeued';
    }
    return jobThere ? 'unchanged' : 'requeued';
  });
  return { kinds, previous, submits: completed.map((outcome) => outcome?.submits ?? 0) };
}

/** One chunk of the script's valid rows with what classifyRows made of each. */
export type ClassifiedChunk = {
  readonly rows: readonly ScriptRowRef[];
  readonly kinds: readonly RowKind[];
  readonly previous: readonly (string | null)[];
  readonly submits: readonly number[];
};

/**
 * The script's valid rows, RECONCILE_CHUNK_ROWS at a time, each chunk classified against the run
 * (enqueue's reconcile and the dry run walk the script alike). `fresh`: the run has no rows in
 * Redis, so every row is `changed` without a lookup.
 */
export async function* classifiedChunks(
  state: ClassifyState & { readonly signal?: AbortSignal | undefined },
  scan: ScriptScan,
  fresh: boolean,
): AsyncGenerator<ClassifiedChunk> {
  for (let start = 0; start < scan.records; start += RECONCILE_CHUNK_ROWS) {
    const rows: ScriptRowRef[] = [];
    for (let seq = start; seq < Math.min(start + RECONCILE_CHUNK_ROWS, scan.records); seq += 1) {
      const id = scan.index.id(seq);
      const hash = scan.index.contentHash(seq);
      if (id !== undefined && hash !== undefined && scan.index.isValid(seq)) rows.push({ seq, id, hash });
    }
    if (rows.length === 0) continue;
    state.signal?.throwIfAborted();
    if (fresh) yield { rows, kinds: rows.map((): RowKind => 'changed'), previous: [], submits: [] };
    else yield { rows, ...(await classifyRows(state, rows)) };
  }
}
