import { stat } from 'node:fs/promises';
import { bookScriptRows } from '../book/book-script.js';
import { readBook } from '../book/read-book.js';
import type { RawRecord } from './script-row.js';

const BATCH_ROWS = 1000;

/**
 * A book given to enqueue as its script: read whole and chunked exactly as `tts-batch import`
 * writes it (the same rows, ids and fields), one record per row; `line` is the row's line in the
 * script `import` would write.
 */
export async function* readBookRecords(
  file: string,
  chunkChars: number,
  onBytes: (bytesRead: number) => void,
): AsyncGenerator<readonly RawRecord[]> {
  const book = await readBook(file, {});
  onBytes((await stat(file)).size);
  const rows = bookScriptRows(book, { targetChars: chunkChars });
  for (let start = 0; start < rows.length; start += BATCH_ROWS) {
    yield rows.slice(start, start + BATCH_ROWS).map((row, at) => ({
      line: start + at + 1,
      seq: start + at,
      fields: new Map<string, unknown>(Object.entries(row)),
      problems: [],
    }));
  }
}
