import { contentHash } from '../enqueue/content-hash.js';
import type { RowJobData, RowRequest } from './row-job.js';

/**
 * One part of a long row: a request of its own (the row's voice, model and temperature with a
 * piece of its text), with its own progress in the run's `progress` hash, its own submit journal
 * and its own audio file, until the parts are joined into the row's one file.
 */
export type RowPart = {
  /** 0-based position in the row. */
  readonly index: number;
  readonly request: RowRequest;
  /** The content hash of the part's request: its progress is kept only for this content. */
  readonly contentHash: string;
  /**
   * Its key in the progress hash and its journal's name: `<row id>~<content hash>`. `~` is not
   * allowed in row ids, so a part never shares a key with a row; keyed by content, a part whose
   * text an edit left alone keeps what it paid for.
   */
  readonly key: string;
};

/** The parts of a row enqueued split, in order; undefined for a row sent whole. */
export function rowParts(data: RowJobData): RowPart[] | undefined {
  const texts = data.parts;
  if (texts === undefined || texts.length < 2) return undefined;
  return texts.map((text, index) => {
    const request = { ...data.request, text };
    const hash = contentHash(request);
    return { index, request, contentHash: hash, key: `${data.id}~${hash}` };
  });
}

/** The folder (inside the run directory) where a row's part audio waits to be joined. */
export const PARTS_DIR = '.parts';
