import { sha256Hex } from '../../enqueue/content-hash.js';
import type { ManifestEntry, ManifestPart, ManifestQa } from '../../output/manifest-entry.js';
import type { RowJobData } from '../../queue/row-job.js';
import { outcomeOfEntry } from '../../queue/outcome-of-entry.js';
import type { RowOutcome } from '../../queue/row-outcome-codec.js';
import { reasonList, type RowProgress, type SavedAudio, type SavedQa } from '../../queue/row-progress.js';

/** How a row ended, and for a failed row what `retry` will do with it. */
export type OutcomeInput =
  | { readonly status: 'completed'; readonly saved: SavedAudio }
  | { readonly status: 'failed'; readonly error: string; readonly retry: 'resubmit' | 'resume' };

/** The row's full manifest entry: one line of manifest.jsonl (content_hash included). */
export function manifestEntry(
  data: RowJobData,
  progress: RowProgress,
  attempts: number,
  outcome: OutcomeInput,
  finishedAt: Date,
  parts?: readonly ManifestPart[],
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
    request_id: saved?.requestId ?? progress.current?.requestId ?? progress.lastRequestId ?? null,
    submits: progress.submits,
    attempts,
    inference_time_s: saved?.inferenceTimeS ?? null,
    cost: saved?.cost ?? null,
    error: outcome.status === 'failed' ? outcome.error : null,
    finished_at: finishedAt.toISOString(),
    calls: progress.calls,
    resubmit_reasons: resubmitReasons(progress),
    content_hash: data.contentHash,
    metadata: data.meta,
    ...(parts ? { parts } : {}),
    ...(saved?.qa ? { qa: manifestQa(saved.qa) } : {}),
    ...(data.override ? { override: data.override } : {}),
  };
}

function manifestQa(qa: SavedQa): ManifestQa {
  return { ...qa, reasons: qa.reasons === '' ? [] : qa.reasons.split(',') };
}

/** What Redis keeps of the outcome: what deciding needs. */
export function rowOutcome(entry: ManifestEntry, outcome: OutcomeInput): RowOutcome {
  return outcomeOfEntry(entry, outcome.status === 'failed' ? outcome.retry : null);
}

/** Why each submission beyond the first happened (a row that gave up has one reason more). */
export function resubmitReasons(progress: RowProgress): string[] {
  return reasonList(progress).slice(0, Math.max(progress.submits - 1, 0));
}
