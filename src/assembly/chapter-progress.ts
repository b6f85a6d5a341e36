import type { RedisClient } from '../redis/connection.js';
import { readAssemblyNotes } from './assembly-state.js';
import { chapterReadiness } from './chapter-readiness.js';
import { shownTitle, type ChapterPlan } from './chapter-plan.js';
import { runPlan } from './schedule-assembly.js';
import { bookVersion } from './versions.js';

/** One chapter as `status` and the dashboard show it. */
export type ChapterProgress = {
  readonly index: number;
  readonly title: string;
  readonly rows: number;
  /** Rows completed for their current content. */
  readonly done: number;
  /** Whether `chapters/<file>` holds the chapter's current rows (its done-marker's version is theirs). */
  readonly assembled: boolean;
  /** Of the chapter's file, once assembled (null before). */
  readonly audioMinutes: number | null;
  /** `chapters/01-the-storm.wav`. */
  readonly file: string;
};

export type RunChapters = {
  readonly chapters: readonly ChapterProgress[];
  /** The audiobook, once written for the current chapters (null before, or without ffmpeg). */
  readonly m4b: string | null;
  /** Whether chapters.json is written for the current chapters. */
  readonly bookAssembled: boolean;
};

const MINUTE_MS = 60_000;

/** The chapters of a run with a chapter plan; undefined for a run without one. */
export async function readRunChapters(
  deps: {
    readonly redis: RedisClient;
    readonly prefix: string;
    readonly readPlan: (outDir: string) => Promise<ChapterPlan | undefined>;
  },
  run: string,
): Promise<RunChapters | undefined> {
  const found = await runPlan(deps, run);
  if (found === undefined) return undefined;
  const { plan } = found;
  const notes = await readAssemblyNotes(deps.redis, deps.prefix, run);
  const chapters: ChapterProgress[] = [];
  const versions: string[] = [];
  for (const chapter of plan.chapters) {
    const readiness = await chapterReadiness(deps.redis, deps.prefix, plan, chapter);
    const note = notes.chapters.get(chapter.index);
    const assembled = readiness.ready && note?.version === readiness.version;
    if (readiness.ready) versions.push(readiness.version);
    chapters.push({
      index: chapter.index,
      title: shownTitle(chapter),
      rows: chapter.rows.length,
      done: readiness.done,
      assembled,
      audioMinutes: assembled && note ? note.durationMs / MINUTE_MS : null,
      file: `chapters/${chapter.file}`,
    });
  }
  const bookAssembled =
    versions.length === plan.chapters.length && notes.book?.version === bookVersion(plan, versions);
  return { chapters, m4b: bookAssembled ? (notes.book?.file ?? null) : null, bookAssembled };
}

/** `chapters: 2 of 3 assembled`, then one line per chapter. */
export function formatRunChapters(progress: RunChapters): string {
  const assembled = progress.chapters.filter((chapter) => chapter.assembled).length;
  const book = progress.bookAssembled
    ? progress.m4b === null
      ? '  audiobook: chapters.json written (no ffmpeg: no m4b)'
      : `  audiobook: ${progress.m4b}`
    : '';
  const lines = [`chapters: ${assembled} of ${progress.chapters.length} assembled${book}`];
  for (const chapter of progress.chapters) {
    const minutes = chapter.audioMinutes === null ? '' : `  ${chapter.audioMinutes.toFixed(2)} min`;
    const state = chapter.assembled ? `assembled ${chapter.file}` : 'not assembled';
    lines.push(
      `  ${String(chapter.index).padStart(3)}  ${chapter.done}/${chapter.rows} rows${minutes}  ${state}  ${chapter.title}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
