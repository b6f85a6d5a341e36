import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CHAPTERS_DIR } from './chapter-job.js';
import { samplesToMs, type BookLayout } from './book-layout.js';
import { shownTitle, type ChapterPlan } from './chapter-plan.js';

/** `<out>/<run>/chapters.json`: written last, so that a book is done when it exists. */
export const CHAPTERS_JSON = 'chapters.json';

export type ChaptersJsonChapter = {
  readonly index: number;
  readonly title: string;
  readonly start_ms: number;
  /** Until the next chapter starts (its audio and the chapter pause after it), as the m4b's marks. */
  readonly duration_ms: number;
  /** Relative to the run directory: `chapters/01-the-storm.wav`. */
  readonly file: string;
  readonly rows: readonly string[];
};

export type ChaptersJson = {
  /** The book's content version (see versions.ts): the done-marker of its assembly. */
  readonly version: string;
  readonly title: string;
  readonly author: string | null;
  readonly duration_ms: number;
  /** Files in the run directory; `m4b` is null when no ffmpeg was found (see `ffmpeg_command`). */
  readonly m4b: string | null;
  readonly srt: string;
  readonly vtt: string;
  /** Without ffmpeg: the command that makes the m4b from the chapter files (also in `<run>.m4b.sh`). */
  readonly ffmpeg_command: string | null;
  readonly chapters: readonly ChaptersJsonChapter[];
};

export function chaptersJson(
  plan: ChapterPlan,
  layout: BookLayout,
  version: string,
  files: { m4b: string | null; srt: string; vtt: string; ffmpegCommand: string | null },
): ChaptersJson {
  return {
    version,
    title: plan.title,
    author: plan.author,
    duration_ms: samplesToMs(layout.totalSamples, layout.sampleRate),
    m4b: files.m4b,
    srt: files.srt,
    vtt: files.vtt,
    ffmpeg_command: files.ffmpegCommand,
    chapters: plan.chapters.map((chapter, at) => {
      const span = layout.chapters[at] ?? { startSample: 0, samples: 0 };
      return {
        index: chapter.index,
        title: shownTitle(chapter),
        start_ms: samplesToMs(span.startSample, layout.sampleRate),
        duration_ms: samplesToMs(span.samples, layout.sampleRate),
        file: `${CHAPTERS_DIR}/${chapter.file}`,
        rows: chapter.rows.map((row) => row.id),
      };
    }),
  };
}

export async function readChaptersJson(outDir: string): Promise<ChaptersJson | undefined> {
  try {
    return JSON.parse(await readFile(join(outDir, CHAPTERS_JSON), 'utf8')) as ChaptersJson;
  } catch {
    return undefined;
  }
}
