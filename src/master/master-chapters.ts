import { rename, rm } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { makeDir, sweepStaleTemps, uniqueTempName, writeFileAtomic } from '../output/run-files.js';
import { acxReport, acxReportCsv, judgeFile, type AcxReport } from './acx-report.js';
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

/** Chapters mastered to temporary files beside their final names, with their report, not yet in place. */
export type MasteredChapters = {
  readonly report: AcxReport;
  readonly files: readonly (MasteredFile & { readonly name: string })[];
  /** Renames every file into `master/`, then writes acx-report.json and .csv (each atomically). */
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
 * written file decoded again. Nothing is in place until `place()`: the book job calls it under its
 * finish lock, so the masters always belong to the chapters.json beside them.
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
  const files: (MasteredFile & { name: string; temporary: string })[] = [];
  try {
    for (const [at, chapter] of input.chapters.entries()) {
      const name = names[at] ?? masterFileName(chapter.file);
      const temporary = join(dir, uniqueTempName(name));
      files.push({ ...(await masterFile(ffmpeg, chapter.file, temporary, signal)), name, temporary });
    }
  } catch (error) {
    await Promise.all(files.map((file) => rm(file.temporary, { force: true })));
    throw error;
  }
  const report = acxReport(
    input.run,
    files.map((file, at) =>
      judgeFile(
        {
          file: `${MASTER_DIR}/${file.name}`,
          chapter: input.chapters[at]?.index ?? at + 1,
          title: input.chapters[at]?.title ?? '',
        },
        file.levels,
        file.frames,
      ),
    ),
  );
  return {
    report,
    files,
    async place() {
      for (const file of files) await rename(file.temporary, join(dir, file.name));
      await writeFileAtomic(input.outDir, ACX_REPORT_JSON, `${JSON.stringify(report, null, 2)}\n`);
      await writeFileAtomic(input.outDir, ACX_REPORT_CSV, acxReportCsv(report));
    },
    async discard() {
      await Promise.all(files.map((file) => rm(file.temporary, { force: true })));
    },
  };
}
