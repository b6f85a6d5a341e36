import { createReadStream } from 'node:fs';
import type { ChapterWav } from './m4b-wav-input.js';

/** Bytes of silence handed to the encoder at a time (the gap is cut from one zeroed buffer). */
const SILENCE_SLICE_BYTES = 64 * 1024;
/** Read size for chapter files: big enough to keep the encoder fed, small enough for flat memory. */
const READ_CHUNK_BYTES = 256 * 1024;

function* silence(bytes: number): Generator<Buffer> {
  const zeros = Buffer.alloc(Math.min(bytes, SILENCE_SLICE_BYTES));
  for (let left = bytes; left > 0; left -= zeros.length)
    yield zeros.subarray(0, Math.min(left, zeros.length));
}

/**
 * The book's raw PCM, in order: each chapter's data chunk read straight from its file, with
 * `gapBytes` of silence between chapters. Streams with backpressure; memory stays flat
 * whatever the book's length. `onBytes` counts what was handed on (the encoder is checked against it).
 */
export async function* bookPcm(
  wavs: readonly ChapterWav[],
  gapBytes: number,
  onBytes: (bytes: number) => void = () => {},
): AsyncGenerator<Buffer> {
  for (const [index, wav] of wavs.entries()) {
    if (index > 0) {
      for (const slice of silence(gapBytes)) {
        onBytes(slice.length);
        yield slice;
      }
    }
    if (wav.dataBytes === 0) continue;
    const stream = createReadStream(wav.file, {
      start: wav.dataOffset,
      end: wav.dataOffset + wav.dataBytes - 1,
      highWaterMark: READ_CHUNK_BYTES,
    });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      onBytes(chunk.length);
      yield chunk;
    }
  }
}
