/**
 * The pauses and trim of a run's assembly. Chosen at enqueue (from its settings) and stored in
 * the run's chapter plan, so that every worker joins the same way and a change (enqueue again
 * with other settings) makes a new content version of every chapter.
 */
export type AssemblyPauses = {
  /** Silence after a chapter's spoken title (`TTS_PAUSE_TITLE_MS`). */
  readonly titleMs: number;
  /** Silence between two chunks of a chapter (`TTS_PAUSE_PARAGRAPH_MS`). */
  readonly paragraphMs: number;
  /** Silence between two chapters of the audiobook (`TTS_PAUSE_CHAPTER_MS`). */
  readonly chapterMs: number;
  /** Leading and trailing silence of each clip is trimmed to this much (`TTS_TRIM_PAD_MS`). */
  readonly trimPadMs: number;
};

/** The pauses of the settings (`TTS_PAUSE_TITLE_MS`, `TTS_PAUSE_PARAGRAPH_MS`, `TTS_PAUSE_CHAPTER_MS`, `TTS_TRIM_PAD_MS`). */
export function assemblyPauses(settings: {
  readonly pauseTitleMs: number;
  readonly pauseParagraphMs: number;
  readonly pauseChapterMs: number;
  readonly trimPadMs: number;
}): AssemblyPauses {
  return {
    titleMs: settings.pauseTitleMs,
    paragraphMs: settings.pauseParagraphMs,
    chapterMs: settings.pauseChapterMs,
    trimPadMs: settings.trimPadMs,
  };
}
