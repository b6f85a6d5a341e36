import type { AudioLayout, ChapterMarker, ClipSpan } from './assembly-state.js';

/**
 * Where each chapter starts in the audiobook, and every clip's span in it, in sample frames. A
 * chapter's span runs to the next chapter's start (its audio and the pause after it), as the
 * m4b's chapter marks do: the spans add up to the whole book.
 */
export type BookLayout = AudioLayout & {
  readonly chapters: readonly { readonly startSample: number; readonly samples: number }[];
};

export class MixedFormatsError extends Error {
  override readonly name = 'MixedFormatsError';
}

/**
 * The audiobook's layout from its chapters' exact layouts: chapter after chapter with
 * `gapSamples` of silence between them. Marks come from these sample counts, never from probed
 * durations.
 */
export function bookLayout(markers: readonly ChapterMarker[], gapMs: number): BookLayout {
  const first = markers[0];
  if (first === undefined) return { sampleRate: 0, channels: 0, totalSamples: 0, clips: [], chapters: [] };
  const { sampleRate, channels } = first;
  const gapSamples = Math.round((gapMs * sampleRate) / 1000);
  const clips: ClipSpan[] = [];
  const chapters: { startSample: number; samples: number }[] = [];
  let at = 0;
  markers.forEach((marker, index) => {
    if (marker.sampleRate !== sampleRate || marker.channels !== channels) {
      throw new MixedFormatsError(
        `chapter ${marker.file} is ${marker.sampleRate} Hz × ${marker.channels}, the first ${sampleRate} Hz × ${channels}`,
      );
    }
    const gap = index < markers.length - 1 ? gapSamples : 0;
    chapters.push({ startSample: at, samples: marker.totalSamples + gap });
    for (const clip of marker.clips) clips.push({ ...clip, startSample: at + clip.startSample });
    at += marker.totalSamples + gap;
  });
  return { sampleRate, channels, totalSamples: at, clips, chapters };
}

/** Sample frames to whole milliseconds. */
export function samplesToMs(samples: number, sampleRate: number): number {
  return sampleRate === 0 ? 0 : Math.round((samples * 1000) / sampleRate);
}
