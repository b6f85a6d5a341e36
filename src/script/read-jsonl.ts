import { fatal, type Problem } from './problems.js';
import { MAX_RECORD_CHARS } from './read-csv.js';
import type { RawRecord } from './script-row.js';

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function parseLine(text: string, line: number, seq: number): RawRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const problems: Problem[] = [
      { line, field: 'json', message: `not valid JSON: ${(error as Error).message}` },
    ];
    return { line, seq, fields: new Map(), problems };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const problems: Problem[] = [
      { line, field: 'json', message: `expected one JSON object per line, got ${kindOf(value)}` },
    ];
    return { line, seq, fields: new Map(), problems };
  }
  return { line, seq, fields: new Map(Object.entries(value)), problems: [] };
}

/** Reads JSONL / NDJSON: one object per line, blank lines ignored; one batch per chunk of text. */
export async function* readJsonlRecords(
  chunks: AsyncIterable<string>,
  file: string,
): AsyncGenerator<readonly RawRecord[]> {
  let pending = '';
  let line = 0;
  let seq = 0;
  let first = true;
  const take = (text: string): RawRecord | undefined => {
    line += 1;
    const trimmed = text.trim();
    if (trimmed === '') return undefined;
    const record = parseLine(trimmed, line, seq);
    seq += 1;
    return record;
  };
  for await (let chunk of chunks) {
    if (first && chunk !== '') {
      first = false;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    pending += chunk;
    const batch: RawRecord[] = [];
    let start = 0;
    for (let end = pending.indexOf('\n'); end !== -1; end = pending.indexOf('\n', start)) {
      const record = take(pending.slice(start, end));
      start = end + 1;
      if (record) batch.push(record);
    }
    pending = pending.slice(start);
    if (batch.length > 0) yield batch;
    if (pending.length > MAX_RECORD_CHARS) {
      throw fatal(file, line + 1, 'json', `a line longer than ${MAX_RECORD_CHARS} characters`);
    }
  }
  const last = take(pending);
  if (last) yield [last];
  if (seq === 0) throw fatal(file, 1, 'file', 'the script is empty (no JSON objects)');
}
