import type { M4bReadBack } from './m4b-read-back.js';
import type { M4bPlan } from './m4b-plan.js';

/** How far a read-back chapter mark may be from the computed one (the mp4 chapter track counts in ms). */
export const MARK_TOLERANCE_MS = 1;

/**
 * What differs between the computed layout and the file as read back; empty when it matches.
 * Marks: count, titles, and each start within `MARK_TOLERANCE_MS` of its exact sample time.
 * Duration: the audio track's encoded length less the encoder's priming (from the edit list)
 * equals the sum of the parts to the sample, and the edit's played length is within tolerance
 * of it (the edit is counted in the movie timescale, milliseconds with ffmpeg).
 */
export function checkM4b(
  plan: M4bPlan,
  read: M4bReadBack,
  expected: { title?: string | undefined; author?: string | undefined; cover: boolean },
): string[] {
  const problems: string[] = [];
  if (read.chapters.length !== plan.marks.length) {
    problems.push(`${read.chapters.length} chapters read back, ${plan.marks.length} written`);
  }
  plan.marks.forEach((mark, index) => {
    const got = read.chapters[index];
    if (got === undefined) return;
    if (got.title !== mark.title)
      problems.push(
        `chapter ${index + 1} title ${JSON.stringify(got.title)}, expected ${JSON.stringify(mark.title)}`,
      );
    const offMs = Math.abs(got.startMs - mark.startMs);
    if (offMs > MARK_TOLERANCE_MS)
      problems.push(`chapter ${index + 1} starts at ${got.startMs} ms, expected ${mark.startMs} ms`);
  });
  const { timing } = read;
  if (timing.timescale !== plan.sampleRate)
    problems.push(`audio timescale ${timing.timescale}, expected ${plan.sampleRate}`);
  const encoded = timing.mediaSamples - timing.primingSamples;
  if (encoded !== plan.totalSamples) {
    problems.push(
      `${encoded} samples after ${timing.primingSamples} of priming, expected ${plan.totalSamples}`,
    );
  }
  const presentedOffMs = (Math.abs(timing.presentedSamples - plan.totalSamples) * 1000) / plan.sampleRate;
  if (presentedOffMs > MARK_TOLERANCE_MS) {
    problems.push(`plays ${timing.presentedSamples} samples, expected ${plan.totalSamples}`);
  }
  if (expected.title !== undefined && read.tags['title'] !== expected.title)
    problems.push(`title tag ${JSON.stringify(read.tags['title'])}`);
  if (expected.author !== undefined && read.tags['artist'] !== expected.author)
    problems.push(`artist tag ${JSON.stringify(read.tags['artist'])}`);
  if (expected.cover && !read.hasCover) problems.push('no cover');
  return problems;
}
