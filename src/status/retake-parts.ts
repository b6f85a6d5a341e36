import { UsageError } from '../errors.js';
import type { RowJobData } from '../queue/row-job.js';
import { rowParts } from '../queue/row-parts.js';
import { emptyProgress, reasonList, type ProgressStore } from '../queue/row-progress.js';
import { withOverride, type RowOverride } from '../queue/row-overrides.js';

/**
 * Readies the parts of a long row for a new take (`tts-batch retake`): each part of the row as it
 * is to be made (`after`: with the override asked, if any) gets a progress without audio, that
 * submits anew (a counted submit, reason `retake`), carrying the submits its part in the row's
 * kept take (`held`) counted, so that the row's entry still counts every submit billed for that
 * text. The parts' earlier files are gone once they were joined: the new parts are joined into
 * the row's file, which replaces the old one (no comparison of takes).
 */
export async function readyPartsRetake(
  store: ProgressStore,
  data: RowJobData,
  held: RowOverride | undefined,
  after: RowOverride | undefined,
): Promise<void> {
  const before = rowParts(withOverride(data, held)) ?? [];
  const next = rowParts(withOverride(data, after)) ?? [];
  const kept = await Promise.all(before.map((part) => store.load(part.key, part.contentHash)));
  if (next.length !== before.length || kept.some((progress) => progress === undefined)) {
    throw new UsageError(
      `row \`${data.id}\` was sent in parts and Redis no longer has what its parts were billed: enqueue the script again first`,
    );
  }
  const seen = new Set<string>();
  for (const [index, part] of next.entries()) {
    const progress = kept[index];
    if (progress === undefined || seen.has(part.key)) continue;
    seen.add(part.key);
    const reasons = reasonList(progress);
    await store.save(part.key, {
      ...emptyProgress(part.contentHash, progress.submits),
      calls: progress.calls,
      reasons: [...reasons, 'retake'].join(','),
      retryBase: reasons.length,
    });
  }
}
