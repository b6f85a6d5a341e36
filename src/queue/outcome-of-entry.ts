import type { ManifestEntry } from '../output/manifest-entry.js';
import type { RowOutcome } from './row-outcome-codec.js';

/**
 * What Redis keeps of a manifest entry: what deciding needs. `retry` is what `tts-batch retry`
 * does with a failed row (null for a completed one, or when the line does not say).
 */
export function outcomeOfEntry(entry: ManifestEntry, retry: RowOutcome['retry'] = null): RowOutcome {
  return {
    status: entry.status,
    contentHash: entry.content_hash,
    file: entry.file,
    bytes: entry.bytes,
    audioSha256: entry.audio_sha256,
    submits: entry.submits,
    error: entry.error,
    retry,
  };
}
