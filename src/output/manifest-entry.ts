import type { ModelSlug } from '../segmind/models.js';

/** One script row's outcome: a line of manifest.jsonl and an entry of manifest.json / manifest.csv. */
export type ManifestEntry = {
  readonly id: string;
  readonly line: number;
  /** 0-based script order. */
  readonly seq: number;
  readonly status: 'completed' | 'failed';
  /** File name inside the run directory, or null for a failed row. */
  readonly file: string | null;
  readonly bytes: number | null;
  readonly duration_s: number | null;
  readonly audio_sha256: string | null;
  readonly text_sha256: string;
  readonly chars: number;
  readonly model: ModelSlug;
  readonly voice_1: string;
  readonly voice_2: string | null;
  readonly temperature: number;
  /** The request whose audio was saved (or the last one tried). */
  readonly request_id: string | null;
  /** Billable submissions made for this row (ambiguous ones included). */
  readonly submits: number;
  /** Worker attempts on this row (BullMQ attempts, including retries asked for with `tts-batch retry`). */
  readonly attempts: number;
  readonly inference_time_s: number | null;
  /** USD, as reported by the API, else the price table's figure. */
  readonly cost: number | null;
  readonly error: string | null;
  readonly finished_at: string;
  /** API calls spent on this row (submits, polls, result fetches). */
  readonly calls: number;
  /** Why submissions beyond the first happened ('expired', 'ambiguous', 'crash-during-submit'). */
  readonly resubmit_reasons: readonly string[];
  /** Hash of what determines the audio; ties the outcome to the enqueued version of the row. */
  readonly content_hash: string;
  readonly metadata: Readonly<Record<string, string>>;
  /**
   * A row longer than the chunk size was sent in parts: each a request of its own, joined into
   * the row's one file. `submits` and `cost` of the entry are the parts' summed; `request_id` is
   * the first part's.
   */
  readonly parts?: readonly ManifestPart[];
  /** The clip's checks (src/qa): a completed row's, once checked. */
  readonly qa?: ManifestQa;
  /**
   * What a person changed of the script's request with `tts-batch retake --voice --temperature`
   * (only the fields changed): `voice_1` and `temperature` of the entry are then the effective
   * ones, those of the audio file.
   */
  readonly override?: ManifestOverride;
};

export type ManifestOverride = { readonly voice_1?: string; readonly temperature?: number };

/**
 * `pass`: the first take passed every check; `retaken`: a later take did (each take a counted
 * submit); `needs_review`: no take did, the best is kept, `reasons` says why; `unchecked`: it
 * could not be checked (an MP3 without ffmpeg). `measured`: the kept take's values.
 */
export type ManifestQa = {
  readonly status: 'pass' | 'retaken' | 'needs_review' | 'unchecked';
  readonly reasons: readonly string[];
  readonly takes: number;
  readonly measured?: Readonly<Record<string, number | string | null>>;
};

/** One part of a row sent in parts, in the row's manifest entry. */
export type ManifestPart = {
  readonly request_id: string | null;
  readonly text_sha256: string;
  readonly chars: number;
  /** Billable submissions made for this part. */
  readonly submits: number;
  readonly duration_s: number | null;
  readonly cost: number | null;
  readonly resubmit_reasons: readonly string[];
  /** The part's checks (see `qa` of the entry). */
  readonly qa_status?: string;
};

/** The fixed columns of manifest.csv, in order; metadata columns follow. */
export const MANIFEST_COLUMNS = [
  'id',
  'line',
  'status',
  'file',
  'bytes',
  'duration_s',
  'audio_sha256',
  'text_sha256',
  'chars',
  'model',
  'voice_1',
  'voice_2',
  'temperature',
  'request_id',
  'submits',
  'attempts',
  'inference_time_s',
  'cost',
  'error',
  'finished_at',
  'calls',
  'resubmit_reasons',
] as const satisfies readonly (keyof ManifestEntry)[];
