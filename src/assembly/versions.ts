import { hash } from 'node:crypto';
import { chapterGapsMs, type ChapterPlan, type PlanChapter } from './chapter-plan.js';

/**
 * A chapter's content version: its rows' audio (SHA-256 in order), the pauses between them, the
 * trim and its file name. A re-synthesised row or another pause makes a new version.
 */
export function chapterVersion(
  plan: ChapterPlan,
  chapter: PlanChapter,
  audioSha256: readonly string[],
): string {
  return hash(
    'sha256',
    JSON.stringify({
      file: chapter.file,
      rows: chapter.rows.map((row) => row.id),
      audio: audioSha256,
      gapsMs: chapterGapsMs(chapter, plan.pauses),
      trimPadMs: plan.pauses.trimPadMs,
    }),
    'hex',
  );
}

/** The audiobook's version: its chapters' versions, titles, the chapter pause, tags, captions' texts and mastering. */
export function bookVersion(plan: ChapterPlan, chapterVersions: readonly string[]): string {
  return hash(
    'sha256',
    JSON.stringify({
      chapters: chapterVersions,
      titles: plan.chapters.map((chapter) => chapter.title),
      texts: plan.chapters.map((chapter) => chapter.rows.map((row) => row.text)),
      chapterMs: plan.pauses.chapterMs,
      title: plan.title,
      author: plan.author,
      cover: plan.cover,
      // Left out of the JSON when absent, so that a book without mastering keeps its version.
      master: plan.master ?? undefined,
    }),
    'hex',
  );
}
