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
