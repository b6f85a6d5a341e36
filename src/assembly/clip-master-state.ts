import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AcxFileReport } from '../master/acx-report.js';
import { writeFileAtomic } from '../output/run-files.js';
import { MARKER_DIR } from './assembly-state.js';

/** Under the run's markers: one file per clip master in place, `<row id>.json`. */
const CLIP_MASTERS_DIR = 'clip-masters';
/** The clip masters' done-marker: the version acx-report.json was last written for. */
const CLIPS_MARKER = 'clip-masters.json';

/** What a clip's master in `master/` was made from (the row's audio SHA-256) and how it measured. */
export type ClipMasterState = {
  readonly audio_sha256: string;
  /** Its acx-report.json entry (a failing one, without a file, when the clip could not be mastered). */
  readonly entry: AcxFileReport;
};

const stateDir = (outDir: string) => join(outDir, MARKER_DIR, CLIP_MASTERS_DIR);

/** Every clip master's state, by row id (an unreadable one is left out: its clip is mastered again). */
export async function readClipMasterStates(outDir: string): Promise<Map<string, ClipMasterState>> {
  const states = new Map<string, ClipMasterState>();
  const entries = await readdir(stateDir(outDir)).catch(() => [] as string[]);
  for (const entry of entries) {
    if (!entry.endsWith('.json') || entry.startsWith('.')) continue;
    try {
      const state = JSON.parse(await readFile(join(stateDir(outDir), entry), 'utf8')) as ClipMasterState;
      if (typeof state.audio_sha256 === 'string' && typeof state.entry === 'object') {
        states.set(entry.slice(0, -'.json'.length), state);
      }
    } catch {
      continue;
    }
  }
  return states;
}

/** Written after the clip's master is renamed into place (or removed, when it could not be mastered). */
export async function writeClipMasterState(
  outDir: string,
  rowId: string,
  state: ClipMasterState,
): Promise<void> {
  await writeFileAtomic(stateDir(outDir), `${rowId}.json`, `${JSON.stringify(state)}\n`);
}

export async function removeClipMasterState(outDir: string, rowId: string): Promise<void> {
  await rm(join(stateDir(outDir), `${rowId}.json`), { force: true });
}

export async function readClipsMarker(outDir: string): Promise<{ version: string } | undefined> {
  try {
    return JSON.parse(await readFile(join(outDir, MARKER_DIR, CLIPS_MARKER), 'utf8')) as { version: string };
  } catch {
    return undefined;
  }
}

export async function writeClipsMarker(outDir: string, version: string): Promise<void> {
  await writeFileAtomic(join(outDir, MARKER_DIR), CLIPS_MARKER, `${JSON.stringify({ version })}\n`);
}
