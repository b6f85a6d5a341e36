import type { RowRequest } from '../queue/row-job.js';
import type { Problem } from './problems.js';

/** The script formats, by file extension. */
/** Books are read whole and chunked as `tts-batch import` does (src/book/), one record per chunk. */
export const SCRIPT_FORMATS = {
  '.csv': 'csv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.epub': 'book',
  '.md': 'book',
  '.markdown': 'book',
  '.txt': 'book',
} as const;
export type ScriptFormat = (typeof SCRIPT_FORMATS)[keyof typeof SCRIPT_FORMATS];

/** The fields with a meaning; every other column is metadata. */
export const KNOWN_FIELDS = ['id', 'text', 'voice_1', 'voice_2', 'temperature', 'model'] as const;
export type KnownField = (typeof KNOWN_FIELDS)[number];

/** One record as read from the file, before validation. */
export type RawRecord = {
  /** 1-based line where the record starts. */
  readonly line: number;
  /** 0-based position among the script's records (valid or not). */
  readonly seq: number;
  /** Field name -> value: strings from CSV, any JSON value from JSONL. */
  readonly fields: ReadonlyMap<string, unknown>;
  /** Problems of the record as a whole (bad JSON, wrong field count). */
  readonly problems: readonly Problem[];
};

/** A valid script row, with the defaults applied. */
export type ScriptRow = {
  /** The row's own id; undefined when the script gives none (the default is assigned later). */
  readonly id: string | undefined;
  readonly line: number;
  readonly seq: number;
  /** What is sent to the API: the text trimmed, every default applied. */
  readonly request: RowRequest;
  /** Characters (Unicode code points) of `request.text`. */
  readonly chars: number;
  readonly meta: Readonly<Record<string, string>>;
};
