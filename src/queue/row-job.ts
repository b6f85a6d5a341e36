import type { ModelSlug } from '../segmind/models.js';

export type { RowProgress, SavedAudio, SubmittedRequest } from './row-progress.js';

/** What determines a row's audio, and what the worker sends to the API. */
export type RowRequest = {
  readonly text: string;
  readonly model: ModelSlug;
  readonly voice_1: string;
  readonly voice_2?: string;
  readonly temperature: number;
};

/** What a person changed of a row's request with `tts-batch retake --voice --temperature` (see row-overrides.ts). */
export type RequestOverride = {
  readonly voice_1?: string;
  readonly temperature?: number;
};

/**
 * The BullMQ job payload of one script row: what the row is, never where it goes or how far it
 * got. The output directory comes from the run's metadata (a job's data can be edited from the
 * dashboard), and the row's progress lives in the run's `progress` hash.
 */
export type RowJobData = {
  readonly run: string;
  /** The row id (validated: safe as a file name). */
  readonly id: string;
  /** The line in the script file where the row starts (1-based). */
  readonly line: number;
  /** 0-based position of the row in the script: manifest order. */
  readonly seq: number;
  readonly request: RowRequest;
  /** Extra script columns, carried to the manifest. */
  readonly meta: Readonly<Record<string, string>>;
  /** SHA-256 (hex) of the canonical RowRequest: part of the job id. */
  readonly contentHash: string;
  /**
   * A row longer than the chunk size (`TTS_CHUNK_CHARS`) is split at enqueue: the texts of its
   * parts, in order, each sent as a request of its own and joined into the row's one file.
   * Absent for a row sent whole.
   */
  readonly parts?: readonly string[];
  /**
   * Never in a job: set by the worker when it loads the row, from the run's `overrides` hash, when
   * a person asked for another voice or temperature for this version of the row (`request` is
   * then the effective one). What a job carries here is ignored.
   */
  readonly override?: RequestOverride;
  /** Ignored by the worker (older jobs carried it); the run's metadata says where files go. */
  readonly outDir?: string;
};
