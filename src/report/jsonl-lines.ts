import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/** Where a line is in its file: byte offset and length, without the line break. */
export type LineSpan = { readonly offset: number; readonly bytes: number };

export type LineVisitor = (line: string, span: LineSpan) => void;

/** A line of a file and where it is. */
export type SpannedLine = { readonly text: string; readonly span: LineSpan };

const NEWLINE = 0x0a;
const READ_CHUNK_BYTES = 1024 * 1024;

function spanned(buffer: Buffer, start: number, end: number, offset: number): SpannedLine {
  const stop = end > start && buffer[end - 1] === 0x0d ? end - 1 : end;
  return { text: buffer.toString('utf8', start, stop), span: { offset, bytes: end - start } };
}

/**
 * The lines of `path` with their byte spans, a chunk's worth (~1 MiB) at a time, holding one
 * chunk and one partial line (a manifest.jsonl of a million rows is never one string). A last
 * line without a line break (a torn append) is given too. Throws ENOENT for a missing file.
 */
export async function* lineBatches(path: string): AsyncGenerator<SpannedLine[]> {
  const stream = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
  let carry: Buffer | undefined;
  /** Bytes of the chunks before the current one. */
  let consumed = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
    const base = consumed - (carry?.length ?? 0);
    consumed += chunk.length;
    const lines: SpannedLine[] = [];
    let start = 0;
    for (let end = buffer.indexOf(NEWLINE); end !== -1; end = buffer.indexOf(NEWLINE, start)) {
      if (end > start) lines.push(spanned(buffer, start, end, base + start));
      start = end + 1;
    }
    // Copied, so that the partial line does not keep the whole chunk alive.
    carry = start < buffer.length ? Buffer.from(buffer.subarray(start)) : undefined;
    if (lines.length > 0) yield lines;
  }
  if (carry) yield [spanned(carry, 0, carry.length, consumed - carry.length)];
}

/** `lineBatches` line by line; resolves to false when the file does not exist. */
export async function forEachLine(path: string, visit: LineVisitor): Promise<boolean> {
  try {
    for await (const lines of lineBatches(path)) for (const { text, span } of lines) visit(text, span);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  return true;
}

/** Spans closer than this are read with one read (the bytes between are read and dropped). */
const MERGE_GAP_BYTES = 16 * 1024;
const MAX_READ_BYTES = 1024 * 1024;

/**
 * The lines at `spans` (any order), in the order of `spans`. Spans are read in file order and
 * neighbours with one read, so a window of lines written at about the same time costs a few reads.
 */
export async function readLineSpans(handle: FileHandle, spans: readonly LineSpan[]): Promise<string[]> {
  const texts = new Array<string>(spans.length).fill('');
  const order = spans.map((_, at) => at).sort((a, b) => (spans[a]?.offset ?? 0) - (spans[b]?.offset ?? 0));
  let at = 0;
  while (at < order.length) {
    const first = spans[order[at] ?? 0];
    if (!first) break;
    let last = at;
    let end = first.offset + first.bytes;
    while (last + 1 < order.length) {
      const next = spans[order[last + 1] ?? 0];
      if (!next || next.offset - end > MERGE_GAP_BYTES) break;
      const nextEnd = Math.max(end, next.offset + next.bytes);
      if (nextEnd - first.offset > MAX_READ_BYTES) break;
      end = nextEnd;
      last += 1;
    }
    const buffer = Buffer.allocUnsafe(end - first.offset);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, first.offset);
    for (let k = at; k <= last; k += 1) {
      const index = order[k] ?? 0;
      const span = spans[index];
      if (!span) continue;
      const start = span.offset - first.offset;
      let stop = Math.min(start + span.bytes, bytesRead);
      if (stop > start && buffer[stop - 1] === 0x0d) stop -= 1;
      texts[index] = buffer.toString('utf8', start, Math.max(start, stop));
    }
    at = last + 1;
  }
  return texts;
}
