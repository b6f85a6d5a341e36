import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { RedisClient } from '../redis/connection.js';
import type { Logger } from '../log.js';
import { makeDir, sweepStaleTemps, uniqueTempName } from '../output/run-files.js';
import type { ChapterJobData } from './assembly-jobs.js';
import {
  noteChapterAssembled,
  readChapterMarker,
  writeChapterMarker,
  type AudioLayout,
} from './assembly-state.js';
import { chapterReadiness } from './chapter-readiness.js';
import { chapterGapsMs, type ChapterPlan } from './chapter-plan.js';
import { withFinishLock } from './finish-lock.js';
import { runPlan } from './schedule-assembly.js';

/** Joins clips into one WAV at `out` (audio/join-clips.ts through the worker's adapter). */
export type JoinChapter = (input: {
  readonly clips: readonly { readonly id: string; readonly file: string }[];
  readonly out: string;
  readonly gapsMs: readonly number[];
  readonly trimPadMs: number;
}) => Promise<AudioLayout>;

export type AssemblyJobDeps = {
  readonly redis: RedisClient;
  readonly prefix: string;
  readonly readPlan: (outDir: string) => Promise<ChapterPlan | undefined>;
  readonly logger: Logger;
  /** Tests only (`TTS_ASSEMBLY_TEST_PAUSE_MS`): a pause with the output's temporary file written, before its rename. */
  readonly testPauseMs: number;
};

/** Subdirectory of the run directory holding the chapters' audio. */
export const CHAPTERS_DIR = 'chapters';

/** A temporary file older than this is a dead writer's even when its host is another machine. */
const FOREIGN_TEMP_STALE_MS = 10 * 60_000;

export type AssemblyOutcome = 'assembled' | 'current' | 'stale';

/**
 * Joins one chapter for one version: nothing when its done-marker already holds that version
 * (`current`) or its rows no longer make that version (`stale`: the job of the newer one comes);
 * else the join into a temporary file, renamed into place, then the marker. A worker killed
 * part-way leaves a temporary file the next attempt sweeps, and no marker: the stalled job is
 * taken again and joins again.
 */
export async function assembleChapter(
  data: ChapterJobData,
  join_: JoinChapter,
  deps: AssemblyJobDeps,
): Promise<AssemblyOutcome> {
  const found = await runPlan(deps, data.run);
  const chapter = found?.plan.chapters[data.index - 1];
  if (found === undefined || chapter === undefined) return 'stale';
  const { plan, outDir } = found;
  const readiness = await chapterReadiness(deps.redis, deps.prefix, plan, chapter);
  if (!readiness.ready || readiness.version !== data.version) return 'stale';
  const dir = join(outDir, CHAPTERS_DIR);
  const target = join(dir, chapter.file);
  const marker = await readChapterMarker(outDir, chapter.index);
  if (marker?.version === data.version && (await stat(target).catch(() => undefined))) {
    // Redis may have been emptied since: status reads the note.
    await noteChapterAssembled(deps.redis, deps.prefix, plan.run, chapter.index, marker);
    return 'current';
  }

  await makeDir(dir);
  await sweepStaleTemps(dir, 'any', FOREIGN_TEMP_STALE_MS);
  const temporary = join(dir, uniqueTempName(chapter.file));
  try {
    const layout = await join_({
      clips: chapter.rows.map((row, at) => ({ id: row.id, file: join(outDir, readiness.files[at] ?? '') })),
      out: temporary,
      gapsMs: chapterGapsMs(chapter, plan.pauses),
      trimPadMs: plan.pauses.trimPadMs,
    });
    if (deps.testPauseMs > 0) await delay(deps.testPauseMs);
    const placed = await withFinishLock(deps.redis, deps.prefix, plan.run, async () => {
      // A row re-synthesised meanwhile: the newer version's job puts its own file in place.
      const now = await chapterReadiness(deps.redis, deps.prefix, plan, chapter);
      if (!now.ready || now.version !== data.version) return false;
      await rename(temporary, target);
      const done = { ...layout, version: data.version, file: chapter.file };
      await writeChapterMarker(deps.redis, deps.prefix, plan.run, outDir, chapter.index, done);
      return true;
    });
    if (!placed) return 'stale';
    deps.logger.info(
      {
        event: 'chapter_assembled',
        run: plan.run,
        chapter: chapter.index,
        file: `${CHAPTERS_DIR}/${chapter.file}`,
        durationMs: Math.round((layout.totalSamples * 1000) / layout.sampleRate),
      },
      'chapter assembled',
    );
    return 'assembled';
  } finally {
    await rm(temporary, { force: true });
  }
}
