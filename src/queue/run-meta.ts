import type { ModelSlug } from '../segmind/models.js';

/** A run as stored in Redis (hash `runKeys().meta`, the fields as strings). */
export type RunMeta = {
  readonly name: string;
  /** Absolute output directory of the run: `<TTS_OUT_DIR>/<run>`. */
  readonly outDir: string;
  /** Absolute path of the script last enqueued into the run. */
  readonly script: string;
  /** Number of rows in the script (valid rows enqueued, with `--skip-invalid`). */
  readonly rows: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** ms since epoch; the run's jobs are delayed until then. 0 = not scheduled. */
  readonly scheduledAt: number;
  /** JSON of the defaults used (model, voices, temperature). */
  readonly options: string;
  /**
   * The run's id, also in its output directory's `.tts-run.json` (see output/run-mark.ts), so a
   * worker can tell the directory it sees is this run's. '' for runs enqueued before it existed.
   */
  readonly runId: string;
};

export type RowDefaults = {
  readonly model: ModelSlug;
  readonly voice_1: string | undefined;
  readonly voice_2: string | undefined;
  readonly temperature: number;
};

export function encodeRunMeta(meta: RunMeta): Record<string, string> {
  return Object.fromEntries(Object.entries(meta).map(([key, value]) => [key, String(value)]));
}

export function decodeRunMeta(hash: Record<string, string>): RunMeta | undefined {
  if (!hash['name']) return undefined;
  return {
    name: hash['name'],
    outDir: hash['outDir'] ?? '',
    script: hash['script'] ?? '',
    rows: Number(hash['rows'] ?? 0),
    createdAt: Number(hash['createdAt'] ?? 0),
    updatedAt: Number(hash['updatedAt'] ?? 0),
    scheduledAt: Number(hash['scheduledAt'] ?? 0),
    options: hash['options'] ?? '{}',
    runId: hash['runId'] ?? '',
  };
}
