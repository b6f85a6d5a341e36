import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/** Where a line is in its file: byte offset and length, without the line break. */
export type LineSpan = { readonly offset: number; readonly bytes: number };

export type LineVisitor = (line: string, span: LineSpan) => void;

const NEWLINE = 0x0a;
const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * Streams the lines of `path` to `visit` with their byte spans, holding one chunk and one partial
 * line at a time (a manifest.jsonl of a million rows is never one string). A last line without a
 * line break (a torn append) is visited too. Resolves to false when the file does not exist.
 */
export async function forEachLine(path: string, visit: LineVisitor): Promise<boolean> {
  const stream = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
  let carry: Buffer | undefined;
  /** Bytes of the chunks before the current one. */
  let consumed = 0;
  const emit = (buffer: Buffer, start: number, end: number, offset: number) => {
    const stop = end > start && buffer[end - 1] === 0x0d ? end - 1 : end;
    visit(buffer.toString('utf8', start, stop), { offset, bytes: end - start });
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
      const base = consumed - (carry?.length ?? 0);
      consumed += chunk.length;
      let start = 0;
      for (let end = buffer.indexOf(NEWLINE); end !== -1; end = buffer.indexOf(NEWLINE, start)) {
        if (end > start) emit(buffer, start, end, base + start);
        start = end + 1;
      }
      // Copied, so that the partial line does not keep the whole chunk alive.
      carry = start < buffer.length ? Buffer.from(buffer.subarray(start)) : undefined;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  if (carry) emit(carry, 0, carry.length, consumed - carry.length);
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
