import { Readable } from 'node:stream';
import { CsvError, parse, type Options } from 'csv-parse';
import { fatal, ScriptError, type Problem } from './problems.js';
import type { RawRecord } from './script-row.js';

/** Longest record accepted, in characters: far above any valid row, low enough to keep memory flat. */
export const MAX_RECORD_CHARS = 1_000_000;

type ParsedRecord = { readonly line: number; readonly cells: string[] };

/** Line breaks in `text`: CRLF, LF and a lone CR each count once. */
function countBreaks(text: string, stopAtContent = false): number {
  let count = 0;
  for (let at = 0; at < text.length; at += 1) {
    const code = text.charCodeAt(at);
    if (code === 0x0a) count += 1;
    else if (code === 0x0d) {
      count += 1;
      if (text.charCodeAt(at + 1) === 0x0a) at += 1;
    } else if (stopAtContent) break;
  }
  return count;
}

const CSV_HINTS: Partial<Record<CsvError['code'], string>> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field that starts in this row is never closed',
  INVALID_OPENING_QUOTE:
    'a quote inside an unquoted field; quote the whole field and double the quotes in it ("")',
  CSV_INVALID_CLOSING_QUOTE: 'characters after a closing quote; double the quotes inside a quoted field ("")',
  CSV_MAX_RECORD_SIZE: `a row longer than ${MAX_RECORD_CHARS} characters (an unclosed quote?)`,
};

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
      message: `no \`text\` column (the first row must name the columns; got ${names.map((name) => `\`${name}\``).join(', ')})`,
    });
  }
  if (problems.length > 0) throw new ScriptError(file, problems);
}

/**
 * Reads CSV records (RFC 4180: quoted commas, quotes and newlines; CRLF or LF; BOM) with the line
 * where each starts. The first record is the header. csv-parse's own line counter counts a CRLF
 * inside quotes twice, so lines are counted here from each record's raw text.
 */
export async function* readCsvRecords(
  chunks: AsyncIterable<string>,
  file: string,
): AsyncGenerator<RawRecord> {
  // Lines are counted as each record is parsed (on_record), so that a parse error that ends the
  // stream before buffered records are read still knows the line its record starts on.
  let nextLine = 1;
  // With `raw`, csv-parse hands on_record `{ record, raw }`, and emits what it returns.
  const toParsed = (parsed: { record: string[]; raw: string }): ParsedRecord => {
    const line = nextLine + countBreaks(parsed.raw, true);
    nextLine += countBreaks(parsed.raw);
    return { line, cells: parsed.record };
  };
  const parser = parse({
    bom: true,
    raw: true,
    skip_empty_lines: true,
    relax_column_count: true,
    record_delimiter: ['\r\n', '\n', '\r'],
    max_record_size: MAX_RECORD_CHARS,
    on_record: toParsed as unknown as NonNullable<Options['on_record']>,
  });
  const source = Readable.from(chunks);
  source.on('error', (error) => parser.destroy(error));
  source.pipe(parser);

  let header: readonly string[] | undefined;
  let seq = 0;
  try {
    for await (const { line, cells } of parser as AsyncIterable<ParsedRecord>) {
      if (header === undefined) {
        header = cells.map((name) => name.trim());
        checkHeader(file, line, header);
        continue;
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
      yield { line, seq, fields, problems };
      seq += 1;
    }
  } catch (error) {
    if (error instanceof CsvError) {
      throw fatal(file, nextLine, 'csv', CSV_HINTS[error.code] ?? error.message);
    }
    throw error;
  } finally {
    source.destroy();
  }
  if (header === undefined) throw fatal(file, 1, 'file', 'the script is empty');
  if (seq === 0) throw fatal(file, nextLine, 'file', 'the script has a header but no rows');
}
