import type { ModelSlug } from '../segmind/models.js';

/** What determines a row's audio, and what the worker sends to the API. */
export type RowRequest = {
  readonly text: string;
  readonly model: ModelSlug;
  readonly voice_1: string;
  readonly voice_2?: string;
  readonly temperature: number;
};

/** A submitted request whose result is still to be fetched. Stored before anything else happens. */
export type SubmittedRequest = {
  readonly requestId: string;
  readonly statusUrl: string;
  readonly responseUrl: string;
  /** ms since epoch */
  readonly submittedAt: number;
};

/** The BullMQ job payload of one script row. */
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
  /** Absolute path of the run's output directory. */
  readonly outDir: string;
  /** Progress, updated by the worker with job.updateData. */
  readonly progress?: RowProgress;
};

export type RowProgress = {
  /** The request being polled, if any. */
  readonly current?: SubmittedRequest | undefined;
  /** Set just before a POST is sent, cleared when its answer is stored: a crash in between is an ambiguous submit. */
  readonly submittingSince?: number | undefined;
  /** Billable submissions made for this row (including ambiguous ones). */
  readonly submits: number;
  /** Every request id ever obtained for this row. */
  readonly requestIds: readonly string[];
  /** Why each submit beyond the first happened: 'expired' | 'ambiguous' | ... */
  readonly resubmitReasons: readonly string[];
  /** API calls spent on this row. */
  readonly calls: number;
  /** The audio once written: a restart after this point records the outcome without the API. */
  readonly saved?: SavedAudio | undefined;
};

/** What a completed row saved. */
export type SavedAudio = {
  readonly file: string;
  readonly bytes: number;
  readonly durationS: number;
  readonly sha256: string;
  readonly requestId: string;
  readonly inferenceTimeS: number | null;
  readonly cost: number | null;
};
