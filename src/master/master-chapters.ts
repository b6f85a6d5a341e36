import { readdir, rename, rm } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { makeDir, sweepStaleTemps, uniqueTempName, writeFileAtomic } from '../output/run-files.js';
import { acxReportCsv } from './acx-report-csv.js';
import { acxReport, judgeFile, unmasteredFile, type AcxReport } from './acx-report.js';
import { masterFile, type MasteredFile } from './master-file.js';

/** Subdirectory of the run directory holding the mastered files. */
export const MASTER_DIR = 'master';
export const ACX_REPORT_JSON = 'acx-report.json';
export const ACX_REPORT_CSV = 'acx-report.csv';

export type MasterChapter = {
  readonly index: number;
  readonly title: string;
  /** Absolute path of the chapter's audio (its WAV under `chapters/`). */
  readonly file: string;
};

type Outcome =
  | (MasteredFile & { readonly name: string; readonly temporary: string })
  | { readonly name: string; readonly reason: string };

/** Chapters mastered to temporary files beside their final names, with their report, not yet in place. */
export type MasteredChapters = {
  readonly report: AcxReport;
  readonly files: readonly (MasteredFile & { readonly name: string })[];
  /**
   * Renames every mastered file into `master/` (removing the old master of a chapter that could
   * not be mastered this time, and those of chapters the book no longer has), then writes
   * acx-report.json and .csv (each atomically).
   */
  place(): Promise<void>;
  /** Removes the temporary files (the book's version went stale meanwhile). */
  discard(): Promise<void>;
};

/** `01-the-storm.wav` -> `01-the-storm.mp3`. */
export function masterFileName(chapterFile: string): string {
  return `${basename(chapterFile, extname(chapterFile))}.mp3`;
}

/**
 * Masters every chapter for ACX, one after another (ffmpeg is the work; one at a time leaves the
 * other core to the row workers), into temporary names under `<outDir>/master/`, and judges each
 * written file decoded again. A chapter that cannot be mastered (no sound, ffmpeg failing on it)
 * fails in the report with the reason instead of failing the book; only an abort throws. Nothing
 * is in place until `place()`: the book job calls it under its finish lock, so the masters always
 * belong to the chapters.json beside them.
 */
export async function masterChapters(
  ffmpeg: string,
  input: { readonly run: string; readonly outDir: string; readonly chapters: readonly MasterChapter[] },
  signal?: AbortSignal,
): Promise<MasteredChapters> {
  const dir = join(input.outDir, MASTER_DIR);
  await makeDir(dir);
  const names = input.chapters.map((chapter) => masterFileName(chapter.file));
  await sweepStaleTemps(dir, names);
  const outcomes: Outcome[] = [];
  const temporaries = () =>
    outcomes.flatMap((outcome) => ('temporary' in outcome ? [outcome.temporary] : []));
  try {
    for (const [at, chapter] of input.chapters.entries()) {
      const name = names[at] ?? masterFileName(chapter.file);
      const temporary = join(dir, uniqueTempName(name));
      try {
        outcomes.push({ ...(await masterFile(ffmpeg, chapter.file, temporary, signal)), name, temporary });
      } catch (error) {
        signal?.throwIfAborted();
        await rm(temporary, { force: true });
        outcomes.push({ name, reason: error instanceof Error ? error.message : String(error) });
      }
    }
  } catch (error) {
    await Promise.all(temporaries().map((temporary) => rm(temporary, { force: true })));
    throw error;
  }
  const report = acxReport(
    input.run,
    outcomes.map((outcome, at) => {
      const about = {
        file: `${MASTER_DIR}/${outcome.name}`,
        chapter: input.chapters[at]?.index ?? at + 1,
        title: input.chapters[at]?.title ?? '',
      };
      return 'reason' in outcome
        ? unmasteredFile(about, outcome.reason)
        : judgeFile(about, outcome.levels, outcome.frames);
    }),
  );
  return {
    report,
    files: outcomes.flatMap((outcome) => ('temporary' in outcome ? [outcome] : [])),
    async place() {
      for (const outcome of outcomes) {
        if ('temporary' in outcome) await rename(outcome.temporary, join(dir, outcome.name));
        else await rm(join(dir, outcome.name), { force: true });
      }
      // Masters of chapters the book no longer has (renamed, removed) leave with the old report.
      const current = new Set(names);
      for (const entry of await readdir(dir)) {
        if (entry.endsWith('.mp3') && !entry.startsWith('.') && !current.has(entry)) {
          await rm(join(dir, entry), { force: true });
        }
      }
      await writeFileAtomic(input.outDir, ACX_REPORT_JSON, `${JSON.stringify(report, null, 2)}\n`);
      await writeFileAtomic(input.outDir, ACX_REPORT_CSV, acxReportCsv(report));
    },
    async discard() {
      await Promise.all(temporaries().map((temporary) => rm(temporary, { force: true })));
    },
  };
}
