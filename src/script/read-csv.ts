import { finished } from 'node:stream/promises';
import { CsvError, parse } from 'csv-parse';
import { fatal, ScriptError, showValue, type Problem } from './problems.js';
import type { RawRecord } from './script-row.js';

/** Longest record accepted, in characters: far above any valid row, low enough to keep memory flat. */
export const MAX_RECORD_CHARS = 1_000_000;

/** Line breaks in a cell: CRLF, LF and a lone CR each count once; and how many were CRLF. */
function cellBreaks(text: string): { breaks: number; crlf: number } {
  let breaks = 0;
  let crlf = 0;
  for (let at = 0; at < text.length; at += 1) {
    const code = text.charCodeAt(at);
    if (code === 0x0a) breaks += 1;
    else if (code === 0x0d) {
      breaks += 1;
      if (text.charCodeAt(at + 1) === 0x0a) {
        crlf += 1;
        at += 1;
      }
    }
  }
  return { breaks, crlf };
}

const CSV_HINTS: Partial<Record<CsvError['code'], string>> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field that starts in this row is never closed',
  INVALID_OPENING_QUOTE:
    'a quote inside an unquoted field; quote the whole field and double the quotes in it ("")',
  CSV_INVALID_CLOSING_QUOTE: 'characters after a closing quote; double the quotes inside a quoted field ("")',
  CSV_MAX_RECORD_SIZE: `a row longer than ${MAX_RECORD_CHARS} characters (an unclosed quote?)`,
};

/** Columns named in a message: the first few, so that a 100,000-column header gives a short one. */
const MAX_SHOWN_COLUMNS = 10;

function shownColumns(names: readonly string[]): string {
  const shown = names.slice(0, MAX_SHOWN_COLUMNS).map((name) => showValue(name));
  const rest = names.length - shown.length;
  return rest > 0 ? `${shown.join(', ')} and ${rest} more` : shown.join(', ');
}

function checkHeader(file: string, line: number, names: readonly string[]): void {
  const problems: Problem[] = [];
  const seen = new Map<string, number>();
  names.forEach((name, index) => {
    if (name === '') {
      problems.push({ line, field: 'header', message: `column ${index + 1} has no name` });
      return;
    }
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      problems.push({
        line,
        field: 'header',
        message: `column \`${name}\` appears twice (columns ${earlier + 1} and ${index + 1})`,
      });
    }
    seen.set(name, index);
  });
  if (!seen.has('text')) {
    problems.push({
      line,
      field: 'header',
      message: `no \`text\` column (the first row must name the columns; got ${shownColumns(names)})`,
    });
  }
  if (problems.length > 0) throw new ScriptError(file, problems);
}

/**
 * Reads CSV records (RFC 4180: quoted commas, quotes and newlines; CRLF or LF; BOM) with the line
 * where each starts, one batch per chunk of text. The first record is the header.
 *
 * csv-parse runs as a state machine: each chunk is written and its records are taken in
 * `on_record`, which returns null so nothing queues in the stream. That keeps a million rows
 * from crossing an async hop each (which promotes them to the old heap), and counts lines as
 * records are parsed, so a parse error knows the line its record starts on.
 *
 * Lines: csv-parse's `lines` is the line a record ends on, except that it counts a CRLF inside
 * quotes twice (it counts CR and LF there one by one), so those are subtracted; the record
 * starts as many breaks earlier as its cells hold. (Counting from csv-parse's `raw` text instead
 * cost a copy of every character: a fifth of the validation pass.) The line tests pin this.
 */
export async function* readCsvRecords(
  chunks: AsyncIterable<string>,
  file: string,
): AsyncGenerator<readonly RawRecord[]> {
  let nextLine = 1;
  let header: readonly string[] | undefined;
  let seq = 0;
  let batch: RawRecord[] = [];
  let failure: unknown;

  let crlfInCells = 0;
  const take = (cells: string[], context: { readonly lines: number }): null => {
    let breaks = 0;
    for (const cell of cells) {
      if (cell.indexOf('\n') === -1 && cell.indexOf('\r') === -1) continue;
      const counted = cellBreaks(cell);
      breaks += counted.breaks;
      crlfInCells += counted.crlf;
    }
    const endLine = context.lines - crlfInCells;
    const line = endLine - breaks;
    nextLine = endLine + 1;
    if (header === undefined) {
      header = cells.map((name) => name.trim());
      checkHeader(file, line, header);
      return null;
    }
    const names = header;
    const problems: Problem[] =
      cells.length === names.length
        ? []
        : [
            {
              line,
              field: 'row',
              message: `${cells.length} fields, but the header has ${names.length} (an unquoted comma?)`,
            },
          ];
    const fields = new Map(names.map((name, index) => [name, cells[index] ?? '']));
    batch.push({ line, seq, fields, problems });
    seq += 1;
    return null;
  };
  const parser = parse({
    bom: true,
    skip_empty_lines: true,
    relax_column_count: true,
    record_delimiter: ['\r\n', '\n', '\r'],
    max_record_size: MAX_RECORD_CHARS,
    on_record: take,
  });
  parser.on('error', (error) => (failure ??= error));
  parser.resume();
  const fail = (error: unknown): unknown =>
    error instanceof CsvError ? fatal(file, nextLine, 'csv', CSV_HINTS[error.code] ?? error.message) : error;

  try {
    for await (const chunk of chunks) {
      // Synchronous: the transform calls back at once, as nothing is pushed.
      parser.write(chunk);
      if (batch.length > 0) {
        const ready = batch;
        batch = [];
        yield ready;
      }
      // An error surfaces on the next tick, after the records before it were yielded.
      if (failure !== undefined) throw fail(failure);
    }
    parser.end();
    await finished(parser).catch((error: unknown) => (failure ??= error));
    if (batch.length > 0) yield batch;
    if (failure !== undefined) throw fail(failure);
  } finally {
    parser.destroy();
  }
  if (header === undefined) throw fatal(file, 1, 'file', 'the script is empty');
  if (seq === 0) throw fatal(file, nextLine, 'file', 'the script has a header but no rows');
}
