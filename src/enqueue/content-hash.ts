import { hash } from 'node:crypto';
import type { RowRequest } from '../queue/row-job.js';

/** Hex characters of the content hash kept in job ids and the run's `rows` hash. */
export const CONTENT_HASH_CHARS = 16;

/**
 * What determines a row's audio, hashed: the first 16 hex characters of the SHA-256 of
 * `[text, model, voice_1, voice_2 ?? null, temperature]` as JSON, after defaults are applied.
 */
export function contentHash(request: RowRequest): string {
  const canonical = JSON.stringify([
    request.text,
    request.model,
    request.voice_1,
    request.voice_2 ?? null,
    request.temperature,
  ]);
  return hash('sha256', canonical, 'hex').slice(0, CONTENT_HASH_CHARS);
}

/** SHA-256 of `text` (UTF-8), hex. One-shot `crypto.hash`: half the cost of a Hash object per row. */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}
