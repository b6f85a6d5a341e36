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
 * What enqueue says of `--master`: where the masters and their report will be, or that a run
 * without chapters gets none (mastering works on chapter files).
 */
export function masterLine(
  master: MasterProfile | undefined,
  hasChapters: boolean,
): { stream: 'stdout' | 'stderr'; text: string } | undefined {
  if (master === undefined) return undefined;
  if (!hasChapters) {
    return {
      stream: 'stderr',
      text: `note: --master ${master}: this run has no chapters, so nothing will be mastered (a CSV or JSONL script needs --chapters)`,
    };
  }
  return {
    stream: 'stdout',
    text: `master: ${master} (each chapter also as master/NN-<title>.mp3, measured in acx-report.json and .csv)`,
  };
}
