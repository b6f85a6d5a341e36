import { UsageError } from '../errors.js';
import { isMasterProfile, MASTER_PROFILES, type MasterProfile } from './acx-spec.js';

/** `--master PROFILE` of enqueue: `acx`, or `none` to master nothing (over `TTS_MASTER`). */
export function parseMasterFlag(value: string): MasterProfile | undefined {
  if (value === 'none') return undefined;
  if (isMasterProfile(value)) return value;
  throw new UsageError(
    `Expected \`--master\` to be one of ${MASTER_PROFILES.join(', ')} or none, got \`${value}\``,
  );
}

/**
 * What enqueue says of `--master`: where the masters and their report will be (each chapter's,
 * or each clip's in a run without chapters), and a warning when this machine has no ffmpeg.
 */
export function masterLines(
  master: MasterProfile | undefined,
  hasChapters: boolean,
  ffmpegFound: boolean,
): { stream: 'stdout' | 'stderr'; text: string }[] {
  if (master === undefined) return [];
  const lines: { stream: 'stdout' | 'stderr'; text: string }[] = [
    {
      stream: 'stdout',
      text: hasChapters
        ? `master: ${master} (each chapter also as master/NN-<title>.mp3, measured in acx-report.json and .csv)`
        : `master: ${master} (each clip also as master/<id>.mp3 when the run finishes, measured in acx-report.json and .csv)`,
    },
  ];
  if (!ffmpegFound) {
    lines.push({
      stream: 'stderr',
      text: `warning: --master ${master}: no ffmpeg found here (TTS_FFMPEG, PATH, the npm package); a worker without one masters nothing and says so in its log`,
    });
  }
  return lines;
}
