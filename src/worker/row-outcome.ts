import type { Redis } from 'ioredis';
import { sha256Hex } from '../enqueue/content-hash.js';
import type { Logger } from '../log.js';
import { writeFinalManifests } from '../output/final-manifest.js';
import type { ManifestEntry } from '../output/manifest-entry.js';
import { appendLine } from '../output/run-files.js';
import type { RowJobData, RowProgress, SavedAudio } from '../queue/row-job.js';
import { addRunStats, readOutcomes, recordOutcome } from '../queue/run-outcomes.js';

export type OutcomeInput =
  | { readonly status: 'completed'; readonly saved: SavedAudio }
  | { readonly status: 'failed'; readonly error: string };

export function manifestEntry(
  data: RowJobData,
  progress: RowProgress,
  attempts: number,
  outcome: OutcomeInput,
  finishedAt: Date,
): ManifestEntry {
  const saved = outcome.status === 'completed' ? outcome.saved : undefined;
  return {
    id: data.id,
    line: data.line,
    seq: data.seq,
    status: outcome.status,
    file: saved?.file ?? null,
    bytes: saved?.bytes ?? null,
    duration_s: saved?.durationS ?? null,
    audio_sha256: saved?.sha256 ?? null,
    text_sha256: sha256Hex(data.request.text),
    chars: [...data.request.text].length,
    model: data.request.model,
    voice_1: data.request.voice_1,
    voice_2: data.request.voice_2 ?? null,
    temperature: data.request.temperature,
    request_id: saved?.requestId ?? progress.current?.requestId ?? progress.requestIds.at(-1) ?? null,
    submits: progress.submits,
    attempts,
    inference_time_s: saved?.inferenceTimeS ?? null,
    cost: saved?.cost ?? null,
    error: outcome.status === 'failed' ? outcome.error : null,
    finished_at: finishedAt.toISOString(),
    calls: progress.calls,
    resubmit_reasons: progress.resubmitReasons,
    content_hash: data.contentHash,
    metadata: data.meta,
  };
}

/**
 * Records the outcome in Redis, appends it to manifest.jsonl, and, if this was the run's last
 * row, writes manifest.json and manifest.csv (exactly one worker gets to).
 */
export async function finishRow(
  redis: Redis,
  prefix: string,
  data: RowJobData,
  entry: ManifestEntry,
  logger: Logger,
): Promise<void> {
  const { recorded, finished } = await recordOutcome(redis, prefix, data.run, entry);
  if (!recorded) {
    logger.warn({ event: 'stale_outcome' }, 'row was re-enqueued with other content; outcome not recorded');
    return;
  }
  await addRunStats(redis, prefix, data.run, {
    [entry.status]: 1,
    audio_ms: Math.round((entry.duration_s ?? 0) * 1000),
    cost_usd: entry.cost ?? 0,
  });
  const { content_hash: _hash, ...line } = entry;
  await appendLine(data.outDir, 'manifest.jsonl', JSON.stringify(line));
  if (finished) {
    await writeFinalManifests(data.outDir, await readOutcomes(redis, prefix, data.run));
    logger.info({ event: 'run_finished', outDir: data.outDir }, 'run finished; manifest written');
  }
}
