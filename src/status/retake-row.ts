import { UsageError } from '../errors.js';
import { runKeys } from '../queue/keys.js';
import type { QueueSession } from '../queue/queue-session.js';
import { decodeRunMeta } from '../queue/run-meta.js';
import { emptyProgress, makeProgressStore, type SavedAudio } from '../queue/row-progress.js';
import type { RowOutcome } from '../queue/row-outcome-codec.js';
import { GEMINI_PCM, WAV_HEADER_BYTES } from '../segmind/audio.js';
import { readRowOutcomes } from '../queue/run-outcomes.js';
import type { RequestOverride } from '../queue/row-job.js';
import { changeOf, mergeOverride, readOverride, writeOverride } from '../queue/row-overrides.js';
import { asksForChange, checkRetakeFlags, type RetakeFlags } from './retake-flags.js';
import { readyPartsRetake } from './retake-parts.js';
import { rowJobFromScript } from './row-job-from-script.js';

/** What a retake asked for: the row's override from now on (undefined: the script's request), and warnings to show. */
export type RetakeAsked = {
  /** The new take replaces the old one (kept even if it fails its checks): `--voice` or `--temperature` given, or a row sent in parts. */
  readonly replaces: boolean;
  readonly override: RequestOverride | undefined;
  readonly warnings: readonly string[];
};

/**
 * Asks for a new take of a finished row (`tts-batch retake`): its saved take is marked to be set
 * aside, its outcome dropped (the run is unfinished again, its counters without that take's
 * audio), and its job sent back to the queue. A worker then keeps the old take aside, submits
 * again (a counted submit, reason `retake`), checks the new take, and keeps the better one.
 * With `--voice` / `--temperature` the row's override is written with the outcome's removal
 * (see row-overrides.ts), and the new take replaces the old one whatever its checks say, as the
 * new take of a row sent in parts always does (see retake-parts.ts).
 */
export async function retakeRow(
  session: QueueSession,
  run: string,
  id: string,
  settings: { readonly maxChars: number; readonly chunkChars: number },
  flags: RetakeFlags = {},
): Promise<RetakeAsked> {
  const { queue, redis, prefix } = session;
  const keys = runKeys(prefix, run);
  const contentHash = await redis.hget(keys.rows, id);
  if (contentHash === null) throw new UsageError(`run \`${run}\` has no row \`${id}\``);
  const [outcome] = await readRowOutcomes(redis, prefix, run, [id]);
  if (outcome?.status !== 'completed' || outcome.contentHash !== contentHash) {
    const now = outcome?.contentHash === contentHash ? outcome.status : 'not finished';
    throw new UsageError(
      `row \`${id}\` is ${now}: only a finished take can be taken again${now === 'failed' ? ' (send failed rows back with retry)' : ''}`,
    );
  }
  // A finished row's job was removed: it is made again from the run's script, the same version.
  const meta = decodeRunMeta(await redis.hgetall(keys.meta));
  const entry = meta && (await rowJobFromScript(meta, id, contentHash, settings));
  if (!entry) {
    throw new UsageError(
      `the run's script (${meta?.script ?? 'unknown'}) no longer holds this version of row \`${id}\`: enqueue it again first`,
    );
  }
  const checked = checkRetakeFlags(flags, entry.data.request);
  const replaces = asksForChange(flags);
  const held = await readOverride(redis, prefix, run, id, contentHash);
  const override = replaces ? mergeOverride(held, checked.change, entry.data.request, contentHash) : held;
  const store = makeProgressStore(redis, prefix, run);
  // A finished row's progress is dropped once its line is written: its take is the outcome's file.
  const progress = (await store.load(id, contentHash)) ?? emptyProgress(contentHash, outcome.submits);
  const saved = progress.saved ?? takeOfOutcome(outcome);
  if (saved === undefined) throw new UsageError(`row \`${id}\` has no file to take again`);
  if (entry.data.parts === undefined)
    await store.save(id, { ...progress, saved, takeAgain: replaces ? 'override' : 'retake' });
  else await readyPartsRetake(store, entry.data, held, override);
  const transaction = redis
    .multi()
    .hdel(keys.outcomes, id)
    .hincrby(keys.stats, 'completed', -1)
    .hincrby(keys.stats, 'audio_ms', -Math.round(saved.durationS * 1000));
  if (replaces) writeOverride(transaction, prefix, run, id, override);
  await transaction.exec();
  const job = await queue.getJob(entry.opts.jobId);
  if (job && (await job.getState()) !== 'completed')
    throw new UsageError(`row \`${id}\` is already being made again`);
  await job?.remove();
  await queue.add(entry.name, entry.data, entry.opts);
  return {
    replaces: replaces || entry.data.parts !== undefined,
    override: override && changeOf(override),
    warnings: checked.warnings,
  };
}

/** The saved take an outcome describes (its length from a WAV's size; an MP3's is not known here). */
function takeOfOutcome(outcome: RowOutcome): SavedAudio | undefined {
  if (outcome.file === null) return undefined;
  const bytes = outcome.bytes ?? 0;
  const byteRate = (GEMINI_PCM.sampleRate * GEMINI_PCM.channels * GEMINI_PCM.bitsPerSample) / 8;
  const durationS = outcome.file.endsWith('.wav') ? Math.max(bytes - WAV_HEADER_BYTES, 0) / byteRate : 0;
  return {
    file: outcome.file,
    bytes,
    durationS,
    sha256: outcome.audioSha256 ?? '',
    requestId: '',
    inferenceTimeS: null,
    cost: null,
  };
}
