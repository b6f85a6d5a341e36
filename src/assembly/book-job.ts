import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { MasterChapter, MasteredChapters } from '../master/master-chapters.js';
import { writeFileAtomic } from '../output/run-files.js';
import type { BookJobData } from './assembly-jobs.js';
import {
  noteBookAssembled,
  readChapterMarker,
  type AudioLayout,
  type ChapterMarker,
} from './assembly-state.js';
import { bookLayout, samplesToMs } from './book-layout.js';
import { CHAPTERS_DIR, type AssemblyJobDeps, type AssemblyOutcome } from './chapter-job.js';
import { shownTitle } from './chapter-plan.js';
import { CHAPTERS_JSON, chaptersJson, readChaptersJson } from './chapters-json.js';
import { sweepEncoderTemps } from './encoder-temps.js';
import { withFinishLock } from './finish-lock.js';
import { runPlan } from './schedule-assembly.js';

/** What the audiobook's encoder takes (audio/m4b-encode.ts through the worker's adapter). */
export type M4bInput = {
  readonly chapters: readonly { readonly title: string; readonly file: string }[];
  readonly gapMs: number;
  /** Absolute path of the m4b. */
  readonly out: string;
  readonly tags: {
    readonly title: string;
    readonly author: string | undefined;
    readonly cover: string | undefined;
  };
};

export type BookTools = {
  /** Undefined when this machine has no ffmpeg: the fallback files are written instead. */
  readonly encodeM4b: ((input: M4bInput) => Promise<void>) | undefined;
  /**
   * Without ffmpeg: writes the ffmetadata file (and what else the command reads) next to the
   * chapters, and returns the exact ffmpeg command that makes the m4b from them.
   */
  readonly fallback: (input: M4bInput) => Promise<string>;
  /** One cue per sentence; clip texts by row id. */
  readonly captions: (
    layout: AudioLayout,
    texts: ReadonlyMap<string, string>,
  ) => { srt: string; vtt: string };
  /** `--master acx`: masters the chapters into temporary files (src/master); undefined without ffmpeg. */
  readonly master:
    | ((input: {
        run: string;
        outDir: string;
        chapters: readonly MasterChapter[];
      }) => Promise<MasteredChapters>)
    | undefined;
};

/**
 * Makes the audiobook of one version from its chapters' files: the m4b (or without ffmpeg, an
 * ffmetadata file and the command to finish), captions, then chapters.json last, which carries
 * the version and is the book's done-marker. Every file is written to a temporary name and renamed.
 */
export async function assembleBook(
  data: BookJobData,
  tools: BookTools,
  deps: AssemblyJobDeps,
): Promise<AssemblyOutcome> {
  const found = await runPlan(deps, data.run);
  if (found === undefined || found.plan.chapters.length !== data.chapters.length) return 'stale';
  const { plan, outDir } = found;
  const markers: ChapterMarker[] = [];
  for (const chapter of plan.chapters) {
    const marker = await readChapterMarker(outDir, chapter.index);
    if (marker === undefined || marker.version !== data.chapters[chapter.index - 1]) return 'stale';
    markers.push(marker);
  }
  const name = plan.run;
  const m4bPath = join(outDir, `${name}.m4b`);
  const existing = await readChaptersJson(outDir);
  const m4bThere = existing?.m4b == null || (await stat(m4bPath).catch(() => undefined)) !== undefined;

  if (existing?.version === data.version && m4bThere) {
    await noteBookAssembled(deps.redis, deps.prefix, name, {
      version: data.version,
      durationMs: existing.duration_ms,
      file: existing.m4b,
    });
    return 'current';
  }

  const layout = bookLayout(markers, plan.pauses.chapterMs);
  // Encoded under a name of its own version, renamed into place only if still current (see below).
  const part = `.${name}.m4b.${data.version.slice(0, 16)}.part`;
  await sweepEncoderTemps(outDir, name, data.version.slice(0, 16));
  const input: M4bInput = {
    chapters: plan.chapters.map((chapter) => ({
      title: shownTitle(chapter),
      file: join(outDir, CHAPTERS_DIR, chapter.file),
    })),
    gapMs: plan.pauses.chapterMs,
    out: tools.encodeM4b === undefined ? m4bPath : join(outDir, part),
    tags: {
      title: plan.title,
      author: plan.author ?? undefined,
      cover: plan.cover === null ? undefined : join(outDir, plan.cover),
    },
  };
  let ffmpegCommand: string | null = null;
  if (tools.encodeM4b !== undefined) {
    await tools.encodeM4b(input);
  } else {
    ffmpegCommand = await tools.fallback(input);
    await writeFileAtomic(outDir, `${name}.m4b.sh`, `#!/bin/sh\n${ffmpegCommand}\n`);
    deps.logger.warn(
      { event: 'audiobook_needs_ffmpeg', run: name, command: ffmpegCommand },
      'no ffmpeg here: chapters, captions and chapters.json are written; run this command to make the m4b',
    );
  }
  let mastered: MasteredChapters | undefined;
  if (plan.master === 'acx' && tools.master === undefined) {
    deps.logger.warn(
      { event: 'master_needs_ffmpeg', run: name },
      'no ffmpeg here: the chapters are not mastered',
    );
  } else if (plan.master === 'acx' && tools.master !== undefined) {
    const chapters = input.chapters.map((chapter, at) => ({ index: at + 1, ...chapter }));
    mastered = await tools.master({ run: name, outDir, chapters });
  }
  if (deps.testPauseMs > 0) await delay(deps.testPauseMs);

  const texts = new Map(
    plan.chapters.flatMap((chapter) => chapter.rows.map((row) => [row.id, row.text] as const)),
  );
  const captions = tools.captions(layout, texts);
  const m4b = tools.encodeM4b === undefined ? null : `${name}.m4b`;
  const durationMs = samplesToMs(layout.totalSamples, layout.sampleRate);
  const placed = await withFinishLock(deps.redis, deps.prefix, name, async () => {
    // A chapter re-assembled meanwhile: the newer book's job puts its own files in place.
    for (const chapter of plan.chapters) {
      const marker = await readChapterMarker(outDir, chapter.index);
      if (marker?.version !== data.chapters[chapter.index - 1]) return false;
    }
    if (m4b !== null) await rename(join(outDir, part), m4bPath);
    await mastered?.place();
    await writeFileAtomic(outDir, `${name}.srt`, captions.srt);
    await writeFileAtomic(outDir, `${name}.vtt`, captions.vtt);
    const document = chaptersJson(plan, layout, data.version, {
      m4b,
      srt: `${name}.srt`,
      vtt: `${name}.vtt`,
      ffmpegCommand,
    });
    await writeFileAtomic(outDir, CHAPTERS_JSON, `${JSON.stringify(document, null, 2)}\n`);
    await noteBookAssembled(deps.redis, deps.prefix, name, { version: data.version, durationMs, file: m4b });
    return true;
  });
  if (!placed) {
    await rm(join(outDir, part), { force: true });
    await mastered?.discard();
    return 'stale';
  }
  deps.logger.info(
    {
      event: 'book_assembled',
      run: name,
      m4b,
      durationMs,
      ...(mastered ? { acxPass: mastered.report.pass } : {}),
    },
    'audiobook assembled',
  );
  return 'assembled';
}
