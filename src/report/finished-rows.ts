import type { Redis } from 'ioredis';
import { runKeys } from '../queue/keys.js';
import { scanRowOutcomes } from '../queue/run-outcomes.js';
import { makeContentHashes } from './content-hashes.js';

/**
 * The rows of a run that have an outcome for their current content, each under a slot number
 * (0..count-1) that the callers index typed arrays with: a million rows cost a Map entry and a
 * few bytes each, never a manifest entry each.
 */
export type FinishedRows = {
  /** Slots are numbered 0..count-1; some may belong to outcomes that no longer count. */
  readonly count: number;
  /** The row's slot when it has an outcome for its current content. */
  slotOf(id: string): number | undefined;
  id(slot: number): string;
  /** Whether the slot's outcome is for content `hash`. */
  contentHashIs(slot: number, hash: string): boolean;
  status(slot: number): 'completed' | 'failed';
  /** Rows enqueued whose current content has no outcome yet. */
  readonly pending: readonly string[];
};

const SCAN_PAGE = 1000;

/**
 * Reads a run's `outcomes` and `rows` hashes page by page (HSCAN): an outcome counts when its
 * row is still enqueued with the same content hash.
 */
export async function loadFinishedRows(redis: Redis, prefix: string, run: string): Promise<FinishedRows> {
  const slots = new Map<string, number>();
  const ids: string[] = [];
  const hashes = makeContentHashes();
  const completed: number[] = [];
  for await (const page of scanRowOutcomes(redis, prefix, run, SCAN_PAGE)) {
    for (const [id, outcome] of page) {
      if (slots.has(id)) continue; // HSCAN may return a field twice
      slots.set(id, ids.length);
      ids.push(id);
      hashes.push(outcome.contentHash);
      completed.push(outcome.status === 'completed' ? 1 : 0);
    }
  }

  const current = new Uint8Array(ids.length);
  const pending: string[] = [];
  const seen = new Set<string>();
  const stream = redis.hscanStream(runKeys(prefix, run).rows, { count: SCAN_PAGE });
  for await (const page of stream as AsyncIterable<string[]>) {
    for (let at = 0; at + 1 < page.length; at += 2) {
      const id = page[at] ?? '';
      const slot = slots.get(id);
      if (slot !== undefined && hashes.is(slot, page[at + 1] ?? '')) current[slot] = 1;
      else if (!seen.has(id)) {
        seen.add(id);
        pending.push(id);
      }
    }
  }

  // Outcomes of rows no longer enqueued (or of older content) do not count.
  return {
    count: ids.length,
    slotOf: (id) => {
      const slot = slots.get(id);
      return slot !== undefined && current[slot] === 1 ? slot : undefined;
    },
    id: (slot) => ids[slot] ?? '',
    contentHashIs: (slot, hash) => hashes.is(slot, hash),
    status: (slot) => (completed[slot] === 1 ? 'completed' : 'failed'),
    pending,
  };
}
