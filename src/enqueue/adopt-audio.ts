import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { RedisClient } from '../redis/connection.js';
import pLimit from 'p-limit';
import type { ManifestEntry } from '../output/manifest-entry.js';
import { makeSubmitJournal } from '../output/submit-journal.js';
import { outcomeOfEntry } from '../queue/outcome-of-entry.js';
import { recordRowOutcome } from '../queue/run-outcomes.js';
import { audioFileMatches } from '../report/audio-on-disk.js';
import { forEachLine, readLineSpans } from '../report/jsonl-lines.js';
import { decodeManifestLine } from '../report/manifest-line.js';
import { MANIFEST_LINES_FILE } from '../report/run-manifests.js';
import type { ScriptScan } from './scan-script.js';

export type AdoptState = {
  readonly redis: RedisClient;
  readonly prefix: string;
  readonly run: string;
  readonly outDir: string;
  readonly nowMs: () => number;
  readonly signal?: AbortSignal | undefined;
};

export type Adopted = {
  /** Rows recorded from the output directory: their `needsJob` flag is cleared. */
  readonly adopted: number;
  /** The last record made the run finished (every row has an outcome). */
  readonly finished: boolean;
};

/** Lines read and files checked per round. */
const ADOPT_CHUNK_ROWS = 256;
/** Audio files hashed at once. */
const HASHES_IN_FLIGHT = 8;

/**
 * The second source of truth: rows about to be queued (`needsJob`) whose audio for the same
 * content is already in the output directory are recorded in Redis instead of made and paid for
 * again. That is the case when the last manifest.jsonl line of the row with its current content
 * hash says completed, and the line's file is there with the line's size and SHA-256 (read and
 * hashed, not assumed). Reads manifest.jsonl once, streamed, holding 12 bytes per script row;
 * only when some row needs a job and the file exists.
 */
export async function adoptAudioOnDisk(
  state: AdoptState,
  scan: ScriptScan,
  needsJob: Uint8Array,
): Promise<Adopted> {
  const journal = makeSubmitJournal(state.outDir);
  let adopted = 0;
  let finished = false;
  await forEachAdoptable(state, scan, needsJob, async (seq, entry) => {
    const recorded = await recordRowOutcome(
      state.redis,
      state.prefix,
      state.run,
      entry.id,
      outcomeOfEntry(entry),
      { audioMs: (entry.duration_s ?? 0) * 1000, costUsd: entry.cost ?? 0 },
      state.nowMs(),
    );
    if (recorded.result !== 'recorded' && recorded.result !== 'duplicate') return;
    needsJob[seq] = 0;
    // A worker stopped between the line and removing the row's journal left it: no job
    // will take the row again, so it goes here (its submits are in the line).
    await journal.remove(entry.id).catch(() => undefined);
    adopted += 1;
    finished ||= recorded.finished;
  });
  return { adopted, finished };
}

/**
 * The dry run's side of adoptAudioOnDisk, read-only: the rows about to be queued (`needsJob`)
 * that an enqueue would adopt from the output directory; their `needsJob` flag is cleared.
 */
export async function countAdoptable(
  state: Pick<AdoptState, 'outDir' | 'signal'>,
  scan: ScriptScan,
  needsJob: Uint8Array,
): Promise<number> {
  let adoptable = 0;
  await forEachAdoptable(state, scan, needsJob, (seq) => {
    needsJob[seq] = 0;
    adoptable += 1;
    return Promise.resolve();
  });
  return adoptable;
}

/** Calls `take` for every row of `needsJob` whose completed audio of its current content is on disk, checked. */
async function forEachAdoptable(
  state: Pick<AdoptState, 'outDir' | 'signal'>,
  scan: ScriptScan,
  needsJob: Uint8Array,
  take: (seq: number, entry: ManifestEntry) => Promise<void>,
): Promise<void> {
  if (!needsJob.includes(1)) return;
  const path = join(state.outDir, MANIFEST_LINES_FILE);
  const offsets = new Float64Array(scan.records).fill(-1);
  const lengths = new Uint32Array(scan.records);
  const found = await forEachLine(path, (text, span) => {
    const entry = decodeManifestLine(text);
    const seq = entry ? scan.ids.get(entry.id) : undefined;
    if (seq === undefined || needsJob[seq] !== 1 || entry?.content_hash !== scan.index.contentHash(seq))
      return;
    offsets[seq] = span.offset;
    lengths[seq] = span.bytes;
  });
  if (!found) return;

  const candidates: number[] = [];
  offsets.forEach((offset, seq) => {
    if (offset >= 0) candidates.push(seq);
  });
  if (candidates.length === 0) return;
  const limit = pLimit(HASHES_IN_FLIGHT);
  const handle = await open(path, 'r');
  try {
    for (let start = 0; start < candidates.length; start += ADOPT_CHUNK_ROWS) {
      state.signal?.throwIfAborted();
      const seqs = candidates.slice(start, start + ADOPT_CHUNK_ROWS);
      const spans = seqs.map((seq) => ({ offset: offsets[seq] ?? 0, bytes: lengths[seq] ?? 0 }));
      const texts = await readLineSpans(handle, spans);
      await Promise.all(
        seqs.map((seq, at) =>
          limit(async () => {
            const entry = decodeManifestLine(texts[at] ?? '');
            if (entry && (await onDisk(state.outDir, entry))) await take(seq, entry);
          }),
        ),
      );
    }
  } finally {
    await handle.close();
  }
}

async function onDisk(outDir: string, entry: ManifestEntry): Promise<boolean> {
  if (entry.status !== 'completed' || entry.file === null) return false;
  if (entry.bytes === null || entry.audio_sha256 === null) return false;
  return audioFileMatches(outDir, entry.file, entry.bytes, entry.audio_sha256);
}
