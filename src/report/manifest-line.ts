import { parseJsonObject } from '../json-object.js';
import type { ManifestEntry } from '../output/manifest-entry.js';

const isText = (value: unknown): value is string => typeof value === 'string';
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const textOrNull = (value: unknown) => value === null || isText(value);
const countOrNull = (value: unknown) => value === null || isCount(value);

/**
 * A line of a run's manifest.jsonl, or undefined for a line that cannot be one (torn by a crash,
 * edited by hand, or written before lines carried `content_hash`). Checks what deciding needs
 * (which row and content, the outcome, the file and what was paid); the rest is carried as written.
 */
export function decodeManifestLine(text: string): ManifestEntry | undefined {
  const value = parseJsonObject(text);
  if (value === undefined) return undefined;
  const line = value as Partial<Record<keyof ManifestEntry, unknown>>;
  const ok =
    isText(line.id) &&
    isCount(line.seq) &&
    isCount(line.line) &&
    (line.status === 'completed' || line.status === 'failed') &&
    isText(line.content_hash) &&
    textOrNull(line.file) &&
    countOrNull(line.bytes) &&
    textOrNull(line.audio_sha256) &&
    isCount(line.submits) &&
    (line.metadata === undefined || (typeof line.metadata === 'object' && line.metadata !== null));
  if (!ok) return undefined;
  // Key order as written: the final manifests show the fields in the worker's order.
  return (line.metadata === undefined ? { ...line, metadata: {} } : line) as ManifestEntry;
}
