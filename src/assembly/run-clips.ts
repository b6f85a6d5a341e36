import { hash } from 'node:crypto';
import type { RedisClient } from '../redis/connection.js';
import { runKeys } from '../queue/keys.js';
import { scanRowOutcomes } from '../queue/run-outcomes.js';
import type { MasterProfile } from '../master/acx-spec.js';
import { CLIP_ROOM_TONE } from '../master/master-clip.js';

/** A completed row's clip, as its recorded outcome (for the row's current content) says. */
export type RunClip = {
  readonly id: string;
  /** The audio file's name in the run directory. */
  readonly file: string;
  readonly bytes: number;
  readonly audioSha256: string;
};

const byId = new Intl.Collator('en', { numeric: true });

/**
 * Every completed row of the run whose outcome is for its current content, ordered by row id
 * (numbers in ids as numbers: `row-2` before `row-10`). Failed rows have no clip.
 */
export async function readRunClips(redis: RedisClient, prefix: string, run: string): Promise<RunClip[]> {
  const rowsKey = runKeys(prefix, run).rows;
  const clips = new Map<string, RunClip>();
  for await (const page of scanRowOutcomes(redis, prefix, run)) {
    const completed = page.filter(
      ([, outcome]) =>
        outcome.status === 'completed' &&
        outcome.file !== null &&
        outcome.bytes !== null &&
        outcome.audioSha256 !== null,
    );
    if (completed.length === 0) continue;
    const hashes = await redis.hmget(rowsKey, ...completed.map(([id]) => id));
    completed.forEach(([id, outcome], at) => {
      if (outcome.contentHash !== hashes[at]) return;
      clips.set(id, {
        id,
        file: outcome.file ?? '',
        bytes: outcome.bytes ?? 0,
        audioSha256: outcome.audioSha256 ?? '',
      });
    });
  }
  return [...clips.values()].sort((a, b) => byId.compare(a.id, b.id));
}

/**
 * The version of a run's clip masters: the profile, the room tone, and every clip's row and
 * audio SHA-256. A re-synthesised row (a retake, a retry, an edit) or a row added or removed
 * makes a new version; each clip's master is kept by its audio's SHA-256 (see clips-job.ts).
 */
export function clipsVersion(master: MasterProfile, clips: readonly RunClip[]): string {
  return hash(
    'sha256',
    JSON.stringify({
      master,
      roomTone: CLIP_ROOM_TONE,
      clips: clips.map((clip) => [clip.id, clip.audioSha256]),
    }),
    'hex',
  );
}
