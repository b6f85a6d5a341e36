import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { UnrecoverableError } from 'bullmq';
import { acxReportCsv } from '../master/acx-report-csv.js';
import { acxReport, type AcxFileReport } from '../master/acx-report.js';
import { ACX_REPORT_CSV, ACX_REPORT_JSON, MASTER_DIR } from '../master/master-chapters.js';
import { clipMasterName, type MasteredClip } from '../master/master-clip.js';
import { decodeRowOutcome } from '../queue/row-outcome-codec.js';
import { runKeys } from '../queue/keys.js';
import { audioFileMatches } from '../report/audio-on-disk.js';
import { missingAudioError } from '../report/run-manifests.js';
import { makeDir, sweepStaleTemps, writeFileAtomic } from '../output/run-files.js';
import type { ClipsJobData } from './assembly-jobs.js';
import type { AssemblyJobDeps, AssemblyOutcome } from './chapter-job.js';
import {
  readClipMasterStates,
  readClipsMarker,
  removeClipMasterState,
  writeClipMasterState,
  writeClipsMarker,
  type ClipMasterState,
} from './clip-master-state.js';
import { clipMasterRun } from './clips-run.js';
import { withFinishLock } from './finish-lock.js';
import { clipsVersion, readRunClips, type RunClip } from './run-clips.js';

/** Masters one clip into a temporary file under `<outDir>/master/` (src/master/master-clip.ts); undefined without ffmpeg. */
export type MasterClipTool = (input: {
  readonly outDir: string;
  readonly rowId: string;
  readonly source: string;
}) => Promise<MasteredClip>;

/** A temporary file older than this is a dead writer's even when its host is another machine. */
const FOREIGN_TEMP_STALE_MS = 10 * 60_000;

type Found = { readonly outDir: string; readonly clips: readonly RunClip[]; readonly version: string };

/** The run's clips and their version now, or undefined when the run no longer masters its clips. */
async function currentClips(deps: AssemblyJobDeps, run: string): Promise<Found | undefined> {
  const found = await clipMasterRun(deps.redis, deps.prefix, run);
  if (found === undefined) return undefined;
  const clips = await readRunClips(deps.redis, deps.prefix, run);
  return { outDir: found.outDir, clips, version: clipsVersion(found.master, clips) };
}

/** Whether the row's recorded audio is still `sha256` (a retake or an edit replaces it). */
async function clipIsCurrent(deps: AssemblyJobDeps, run: string, clip: RunClip): Promise<boolean> {
  const keys = runKeys(deps.prefix, run);
  const [outcome, contentHash] = await Promise.all([
    deps.redis.hget(keys.outcomes, clip.id),
    deps.redis.hget(keys.rows, clip.id),
  ]);
  const now = decodeRowOutcome(outcome);
  return (
    now?.status === 'completed' && now.contentHash === contentHash && now.audioSha256 === clip.audioSha256
  );
}

/**
 * Masters one clip whose master is missing or of other audio, and puts it in place under the
 * run's finish lock, with its state (the audio SHA-256 it was made from) written after it.
 * False when the row's audio changed meanwhile: a newer version's job comes.
 */
async function masterOne(
  deps: AssemblyJobDeps,
  run: string,
  outDir: string,
  clip: RunClip,
  master: MasterClipTool,
): Promise<boolean> {
  if (!(await audioFileMatches(outDir, clip.file, clip.bytes, clip.audioSha256))) {
    // Re-recorded meanwhile: the newer version's job comes. Else the file is gone or changed:
    // the attempt fails (retried, then failed; the run's next finish retries it).
    if (!(await clipIsCurrent(deps, run, clip))) return false;
    throw new Error(missingAudioError(clip.file, 'changed'));
  }
  const mastered = await master({ outDir, rowId: clip.id, source: join(outDir, clip.file) });
  if (deps.testPauseMs > 0) await delay(deps.testPauseMs);
  const target = join(outDir, MASTER_DIR, clipMasterName(clip.id));
  const placed = await withFinishLock(deps.redis, deps.prefix, run, async () => {
    if (!(await clipIsCurrent(deps, run, clip))) return false;
    if (mastered.temporary === undefined) await rm(target, { force: true });
    else await rename(mastered.temporary, target);
    await writeClipMasterState(outDir, clip.id, { audio_sha256: clip.audioSha256, entry: mastered.entry });
    return true;
  });
  if (!placed && mastered.temporary !== undefined) await rm(mastered.temporary, { force: true });
  return placed;
}

/** The state of a clip whose master in place is of its current audio (or which could not be mastered from it). */
async function keptState(
  outDir: string,
  clip: RunClip,
  state: ClipMasterState | undefined,
): Promise<ClipMasterState | undefined> {
  if (state?.audio_sha256 !== clip.audioSha256) return undefined;
  if (state.entry.criteria === null) return state;
  const there = await stat(join(outDir, MASTER_DIR, clipMasterName(clip.id))).catch(() => undefined);
  return there === undefined ? undefined : state;
}

/**
 * Under the finish lock, if the version is still current: the masters (and states) of rows no
 * longer in the run removed, acx-report.csv and .json of every clip written, then the marker.
 */
async function finishClips(
  deps: AssemblyJobDeps,
  data: ClipsJobData,
  outDir: string,
): Promise<AcxFileReport[] | undefined> {
  return withFinishLock(deps.redis, deps.prefix, data.run, async () => {
    const now = await currentClips(deps, data.run);
    if (now === undefined || now.version !== data.version) return undefined;
    const states = await readClipMasterStates(outDir);
    const ids = new Set(now.clips.map((clip) => clip.id));
    for (const id of states.keys()) if (!ids.has(id)) await removeClipMasterState(outDir, id);
    const names = new Set(now.clips.map((clip) => clipMasterName(clip.id)));
    for (const entry of await readdir(join(outDir, MASTER_DIR))) {
      if (entry.endsWith('.mp3') && !entry.startsWith('.') && !names.has(entry)) {
        await rm(join(outDir, MASTER_DIR, entry), { force: true });
      }
    }
    const files: AcxFileReport[] = [];
    for (const clip of now.clips) {
      const state = states.get(clip.id);
      // Each clip was put in place (or found) by this job: a missing state is a newer writer's doing.
      if (state?.audio_sha256 !== clip.audioSha256) return undefined;
      files.push(state.entry);
    }
    const report = acxReport(data.run, files);
    // The JSON last: once it holds these files, the CSV beside it does too.
    await writeFileAtomic(outDir, ACX_REPORT_CSV, acxReportCsv(report));
    await writeFileAtomic(outDir, ACX_REPORT_JSON, `${JSON.stringify(report, null, 2)}\n`);
    await writeClipsMarker(outDir, data.version);
    return files;
  });
}

/**
 * Masters a finished run's clips for one version of them (`--master acx` without chapters):
 * nothing when the marker holds that version (`current`) or the clips no longer make it
 * (`stale`: the newer version's job comes). Else each clip whose master is missing or was made
 * from other audio is mastered and put in place at once, with its state: a worker killed
 * part-way leaves only temporary files (swept by the next attempt) and the masters it finished,
 * which the next attempt keeps. The clips themselves are only read.
 */
export async function assembleClipMasters(
  data: ClipsJobData,
  master: MasterClipTool | undefined,
  deps: AssemblyJobDeps,
): Promise<AssemblyOutcome> {
  const found = await currentClips(deps, data.run);
  if (found === undefined || found.version !== data.version) return 'stale';
  const { outDir, clips } = found;
  const marker = await readClipsMarker(outDir);
  if (
    marker?.version === data.version &&
    (await stat(join(outDir, ACX_REPORT_JSON)).catch(() => undefined))
  ) {
    return 'current';
  }
  if (master === undefined) {
    deps.logger.warn(
      { event: 'master_needs_ffmpeg', run: data.run },
      'no ffmpeg here: the clips are not mastered (enqueue the script again once ffmpeg is installed)',
    );
    throw new UnrecoverableError('no ffmpeg: the clips are not mastered');
  }
  await makeDir(join(outDir, MASTER_DIR));
  await sweepStaleTemps(join(outDir, MASTER_DIR), 'any', FOREIGN_TEMP_STALE_MS);
  const states = await readClipMasterStates(outDir);
  let mastered = 0;
  for (const clip of clips) {
    if ((await keptState(outDir, clip, states.get(clip.id))) !== undefined) continue;
    if (!(await masterOne(deps, data.run, outDir, clip, master))) return 'stale';
    mastered += 1;
  }
  const files = await finishClips(deps, data, outDir);
  if (files === undefined) return 'stale';
  deps.logger.info(
    {
      event: 'clips_mastered',
      run: data.run,
      clips: files.length,
      mastered,
      kept: files.length - mastered,
      acxPass: files.length > 0 && files.every((file) => file.pass),
    },
    'clips mastered',
  );
  return 'assembled';
}
