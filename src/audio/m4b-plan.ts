import { M4bInputError } from './m4b-errors.js';
import type { ChapterWav } from './m4b-wav-input.js';

/** A chapter's place in the book's audio, in samples (exact) and milliseconds (derived). */
export type ChapterMark = {
  readonly title: string;
  /** First sample of the chapter in the final audio. */
  readonly startSample: number;
  /** Samples up to the next chapter's start: the chapter's audio plus the gap after it (none after the last). */
  readonly samples: number;
  /** The chapter file's own samples (`samples` less the gap). */
  readonly audioSamples: number;
  readonly startMs: number;
  readonly durationMs: number;
};

/** The whole book's layout: what goes into the encoder, in order, and where each chapter starts. */
export type M4bPlan = {
  readonly sampleRate: number;
  readonly channels: number;
  readonly gapSamples: number;
  readonly marks: readonly ChapterMark[];
  readonly totalSamples: number;
  readonly durationMs: number;
};

const SUPPORTED_BITS = 16;

/**
 * Lays the chapters end to end with `gapMs` of silence between them, from the WAVs' data sizes
 * (never from probed durations, which round). Every chapter must be 16-bit PCM of one format.
 */
export function planM4b(chapters: readonly { title: string; wav: ChapterWav }[], gapMs: number): M4bPlan {
  const first = chapters[0]?.wav;
  if (first === undefined) throw new RangeError('Expected at least one chapter, got none');
  if (!Number.isFinite(gapMs) || gapMs < 0) throw new RangeError(`Expected \`gapMs\` >= 0, got \`${gapMs}\``);
  const { sampleRate, channels } = first.format;
  for (const { wav } of chapters) {
    const { format } = wav;
    if (format.bitsPerSample !== SUPPORTED_BITS) {
      throw new M4bInputError(
        wav.file,
        `${format.bitsPerSample}-bit PCM; chapters must be ${SUPPORTED_BITS}-bit`,
      );
    }
    if (format.sampleRate !== sampleRate || format.channels !== channels) {
      throw new M4bInputError(
        wav.file,
        `${format.sampleRate} Hz ${format.channels} ch differs from ${first.file}'s ${sampleRate} Hz ${channels} ch`,
      );
    }
  }
  const gapSamples = Math.round((gapMs * sampleRate) / 1000);
  const toMs = (samples: number) => (samples * 1000) / sampleRate;
  let at = 0;
  const marks = chapters.map(({ title, wav }, index) => {
    const samples = wav.frames + (index < chapters.length - 1 ? gapSamples : 0);
    const mark = {
      title,
      startSample: at,
      samples,
      audioSamples: wav.frames,
      startMs: toMs(at),
      durationMs: toMs(samples),
    };
    at += samples;
    return mark;
  });
  return { sampleRate, channels, gapSamples, marks, totalSamples: at, durationMs: toMs(at) };
}
