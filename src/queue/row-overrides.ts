import { parseJsonObject } from '../json-object.js';
import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from '../redis/connection.js';
import { isGeminiVoice } from '../segmind/models.js';
import { runKeys } from './keys.js';
import type { RequestOverride, RowJobData, RowRequest } from './row-job.js';

export type { RequestOverride } from './row-job.js';

/**
 * What a person changed of one row's request (`tts-batch retake --voice --temperature`), kept in
 * the run's `overrides` hash. It holds for the version of the row it was asked for (`h`, the
 * row's content hash from the script): the row's content hash, job id and `rows` entry stay the
 * script's, so a re-enqueue of the unchanged script leaves the row as it is, and an edited row
 * (a new hash) is the script's again.
 */
export type RowOverride = RequestOverride & {
  /** The content hash of the script's row the override was asked for. */
  readonly h: string;
};

export function encodeOverride(override: RowOverride): string {
  const { h, voice_1, temperature } = override;
  return JSON.stringify({
    h,
    ...(voice_1 !== undefined ? { voice_1 } : {}),
    ...(temperature !== undefined ? { temperature } : {}),
  });
}

/** A stored override, or undefined for none or one that is not an override (a field that could not be sent is left out). */
export function decodeOverride(json: string | null | undefined): RowOverride | undefined {
  const value = parseJsonObject(json);
  if (value === undefined) return undefined;
  const { h, voice_1, temperature } = value;
  if (typeof h !== 'string') return undefined;
  const voiceOk = typeof voice_1 === 'string' && isGeminiVoice(voice_1);
  const temperatureOk = typeof temperature === 'number' && temperature >= 0 && temperature <= 2;
  if (!voiceOk && !temperatureOk) return undefined;
  return {
    h,
    ...(voiceOk ? { voice_1 } : {}),
    ...(temperatureOk ? { temperature } : {}),
  };
}

/**
 * The row's override after a person asked for `change`: the fields asked replace the ones held
 * (a later `--temperature` keeps an earlier `--voice`), and a field asked back to the script's
 * value is the script's again (no override left: undefined).
 */
export function mergeOverride(
  held: RowOverride | undefined,
  change: RequestOverride,
  script: RowRequest,
  contentHash: string,
): RowOverride | undefined {
  const merged = { ...(held?.h === contentHash ? held : {}), ...change };
  const voice_1 = merged.voice_1 !== script.voice_1 ? merged.voice_1 : undefined;
  const temperature = merged.temperature !== script.temperature ? merged.temperature : undefined;
  if (voice_1 === undefined && temperature === undefined) return undefined;
  return {
    h: contentHash,
    ...(voice_1 !== undefined ? { voice_1 } : {}),
    ...(temperature !== undefined ? { temperature } : {}),
  };
}

/** The row's override for its version `contentHash`, or undefined. */
export async function readOverride(
  redis: RedisClient,
  prefix: string,
  run: string,
  id: string,
  contentHash: string,
): Promise<RowOverride | undefined> {
  const override = decodeOverride(await redis.hget(runKeys(prefix, run).overrides, id));
  return override?.h === contentHash ? override : undefined;
}

/** Adds to `transaction` the write of the row's override (its removal for undefined). */
export function writeOverride(
  transaction: ChainableCommander,
  prefix: string,
  run: string,
  id: string,
  override: RowOverride | undefined,
): ChainableCommander {
  const key = runKeys(prefix, run).overrides;
  return override === undefined
    ? transaction.hdel(key, id)
    : transaction.hset(key, id, encodeOverride(override));
}

/** Adds to `transaction` the removal of the overrides of rows edited or gone from the script. */
export function dropOverrides(
  transaction: ChainableCommander,
  prefix: string,
  run: string,
  ids: readonly string[],
): ChainableCommander {
  return ids.length === 0 ? transaction : transaction.hdel(runKeys(prefix, run).overrides, ...ids);
}

/**
 * The job's data as the worker makes it: the request with the override of the job's version
 * applied, and `override` saying what it changed (for the manifest entry). Without one (or one
 * for another version of the row) the script's request, and no `override`, whatever the job
 * carried.
 */
export function withOverride(data: RowJobData, override: RowOverride | undefined): RowJobData {
  const { override: _carried, ...plain } = data;
  if (override === undefined || override.h !== data.contentHash) return plain;
  const changed = changeOf(override);
  return { ...plain, request: { ...plain.request, ...changed }, override: changed };
}

/** What an override changes of the request. */
export function changeOf(override: RowOverride): RequestOverride {
  const { h: _h, ...changed } = override;
  return changed;
}

/** The job's data with the override of its version read from the run's `overrides` hash. */
export async function withRowOverride(
  redis: RedisClient,
  prefix: string,
  data: RowJobData,
): Promise<RowJobData> {
  return withOverride(data, await readOverride(redis, prefix, data.run, data.id, data.contentHash));
}
