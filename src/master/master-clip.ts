import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { uniqueTempName } from '../output/run-files.js';
import { judgeFile, unmasteredFile, type AcxFileReport } from './acx-report.js';
import { MASTER_DIR } from './master-chapters.js';
import { masterFile, type RoomTone } from './master-file.js';

/**
 * A clip's room tone: 0.75 s before (as chapters) and 1.5 s after (chapters: 2.5 s). The
 * silence counts in the whole file's RMS, so a short clip carrying 3.25 s of it would need its
 * speech pushed against the limiter; 1.5 s keeps the tail 0.5 s inside ACX's 1-5 s.
 */
export const CLIP_ROOM_TONE: RoomTone = { headMs: 750, tailMs: 1500 };

/** `row-7` -> `master/row-7.mp3`: a clip's master is named after its row. */
export function clipMasterName(rowId: string): string {
  return `${rowId}.mp3`;
}

/** One clip mastered to a temporary file beside its final name, judged decoded again, or why it could not be. */
export type MasteredClip =
  | { readonly entry: AcxFileReport; readonly temporary: string }
  | { readonly entry: AcxFileReport; readonly temporary: undefined };

/**
 * Masters one clip (`source`, the row's audio) with the chapters' chain and CLIP_ROOM_TONE into
 * a temporary name under `<outDir>/master/`. A clip that cannot be mastered (no sound, ffmpeg
 * failing on it) gets a failing entry with the reason instead; only an abort throws.
 */
export async function masterClip(
  ffmpeg: string,
  input: { readonly outDir: string; readonly rowId: string; readonly source: string },
  signal?: AbortSignal,
): Promise<MasteredClip> {
  const name = clipMasterName(input.rowId);
  const about = { file: `${MASTER_DIR}/${name}`, chapter: null, row: input.rowId, title: '' };
  const temporary = join(input.outDir, MASTER_DIR, uniqueTempName(name));
  try {
    const mastered = await masterFile(ffmpeg, input.source, temporary, signal, CLIP_ROOM_TONE);
    return { entry: judgeFile(about, mastered.levels, mastered.frames), temporary };
  } catch (error) {
    await rm(temporary, { force: true });
    signal?.throwIfAborted();
    const reason = error instanceof Error ? error.message : String(error);
    return { entry: unmasteredFile(about, reason), temporary: undefined };
  }
}
