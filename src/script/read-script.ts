import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { UsageError } from '../errors.js';
import { DEFAULT_CHUNK_CHARS } from '../book/chunk-limits.js';
import { decodeUtf8 } from './decode-utf8.js';
import { fatal } from './problems.js';
import { readCsvRecords } from './read-csv.js';
import { readBookRecords } from './read-book-records.js';
import { readJsonlRecords } from './read-jsonl.js';
import { SCRIPT_FORMATS, type RawRecord, type ScriptFormat } from './script-row.js';

const READ_CHUNK_BYTES = 256 * 1024;

/** The format of a script, from its extension (case-insensitive). */
export function scriptFormat(file: string): ScriptFormat {
  const extension = extname(file).toLowerCase();
  const format = Object.entries(SCRIPT_FORMATS).find(([known]) => known === extension)?.[1];
  if (format === undefined) {
    throw new UsageError(
      `${file}: unknown script format \`${extension || '(no extension)'}\`; expected .csv, .jsonl or .ndjson, or a book (.epub, .md, .txt)`,
    );
  }
  return format;
}

/** Checks that the script exists and is a non-empty file; resolves to its size in bytes. */
export async function checkScriptFile(file: string): Promise<number> {
  let size: number;
  try {
    const info = await stat(file);
    if (info.isDirectory()) {
      throw new UsageError(`${file}: is a directory; give a script file (.csv, .jsonl or .ndjson)`);
    }
    if (!info.isFile()) throw new UsageError(`${file}: not a file`);
    size = info.size;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    // A wrong extension says more than a missing file: `notes.txt` is not a script either way.
    scriptFormat(file);
    throw new UsageError(`${file}: cannot read the script (${code === 'ENOENT' ? 'no such file' : code})`, {
      cause: error,
    });
  }
  scriptFormat(file);
  if (size === 0) throw fatal(file, 1, 'file', 'the script is empty');
  return size;
}

export type ReadProgress = (bytesRead: number) => void;

/**
 * Streams a script's records, in order and in batches, with the line where each starts. Structural problems
 * (encoding, malformed CSV, header) throw a ScriptError; row problems ride on the records.
 */
export async function* readScript(
  file: string,
  onBytes: ReadProgress = () => {},
  options: { readonly chunkChars?: number | undefined } = {},
): AsyncGenerator<readonly RawRecord[]> {
  const format = scriptFormat(file);
  if (format === 'book') {
    yield* readBookRecords(file, options.chunkChars ?? DEFAULT_CHUNK_CHARS, onBytes);
    return;
  }
  const stream = createReadStream(file, { highWaterMark: READ_CHUNK_BYTES });
  async function* bytes(): AsyncGenerator<Uint8Array> {
    let total = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      total += chunk.length;
      onBytes(total);
      yield chunk;
    }
  }
  try {
    const text = decodeUtf8(bytes(), file);
    yield* format === 'csv' ? readCsvRecords(text, file) : readJsonlRecords(text, file);
  } finally {
    stream.destroy();
  }
}
