import { id3v2LengthBytes, mp3FrameAt, undecodable } from './audio.js';

/**
 * Measures the duration of audio fed in order, chunk by chunk, holding only the bytes its walk has
 * not passed yet (never more than about two chunks): the same figures as `wavDurationS` and
 * `mp3DurationS` on the whole file.
 */
export type DurationMeter = {
  feed(chunk: Uint8Array): void;
  /** The duration once every byte was fed; throws a non-transient `DownloadError` for undecodable audio. */
  finish(): number;
};

/** The bytes of a stream from `start` to `total` that a walk may still read. */
type Window = {
  readonly bytes: Buffer;
  readonly start: number;
  readonly total: number;
  append(chunk: Uint8Array): void;
  /** Forgets every byte before `offset` (which may lie beyond the bytes seen so far). */
  advance(offset: number): void;
};

function makeWindow(): Window {
  let bytes: Buffer = Buffer.alloc(0);
  let start = 0;
  let total = 0;
  return {
    get bytes() {
      return bytes;
    },
    get start() {
      return start;
    },
    get total() {
      return total;
    },
    append(chunk) {
      const view = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      bytes = bytes.length === 0 ? view : Buffer.concat([bytes, view]);
      total += chunk.byteLength;
    },
    advance(offset) {
      if (offset >= total) {
        bytes = Buffer.alloc(0);
        start = total;
      } else if (offset > start) {
        bytes = bytes.subarray(offset - start);
        start = offset;
      }
    },
  };
}

/** Walks RIFF chunks from offset 12 to `data`; the duration is its size (clipped to the bytes present) over the `fmt ` byte rate. */
export function makeWavMeter(): DurationMeter {
  const window = makeWindow();
  let offset = 12;
  let byteRate: number | undefined;
  let data: { readonly offset: number; readonly size: number; readonly byteRate: number } | undefined;
  const walk = (ended: boolean): void => {
    while (data === undefined) {
      const at = offset - window.start;
      const view = window.bytes;
      if (at + 8 > view.length) break;
      const id = view.toString('latin1', at, at + 4);
      const size = view.readUInt32LE(at + 4);
      if (id === 'fmt ') {
        if (at + 20 > view.length && !ended) break;
        if (at + 20 <= view.length) byteRate = view.readUInt32LE(at + 16);
      }
      if (id === 'data') {
        if (byteRate === undefined || byteRate === 0) {
          throw undecodable('WAV data chunk before a usable fmt chunk');
        }
        data = { offset, size, byteRate };
        break;
      }
      offset += 8 + size + (size % 2);
    }
    window.advance(data === undefined ? offset : window.total);
  };
  return {
    feed(chunk) {
      window.append(chunk);
      walk(false);
    },
    finish() {
      walk(true);
      if (data === undefined) throw undecodable('WAV without a data chunk');
      return Math.min(data.size, window.total - data.offset - 8) / data.byteRate;
    },
  };
}

/** Walks MPEG frame headers after any ID3v2 tag (read from `head`, the file's first bytes), skipping a first Xing/Info frame. */
export function makeMp3Meter(head: Uint8Array): DurationMeter {
  const window = makeWindow();
  let offset = id3v2LengthBytes(head);
  let frames = 0;
  const samplesByRate = new Map<number, number>();
  const walk = (ended: boolean): void => {
    for (;;) {
      const at = offset - window.start;
      const view = window.bytes;
      if (at + 4 > view.length) break;
      const frame = mp3FrameAt(view, at);
      if (frame === undefined) {
        offset += 1;
        continue;
      }
      let isInfoFrame = false;
      if (frames === 0) {
        const headEnd = at + Math.min(frame.lengthBytes, 64);
        if (headEnd > view.length && !ended) break;
        const text = view.toString('latin1', at + 4, Math.min(headEnd, view.length));
        isInfoFrame = text.includes('Xing') || text.includes('Info');
      }
      if (!isInfoFrame) {
        samplesByRate.set(frame.sampleRate, (samplesByRate.get(frame.sampleRate) ?? 0) + frame.samples);
      }
      frames += 1;
      offset += Math.max(frame.lengthBytes, 1);
    }
    window.advance(offset);
  };
  return {
    feed(chunk) {
      window.append(chunk);
      walk(false);
    },
    finish() {
      walk(true);
      if (frames === 0) throw undecodable('MP3 without a frame');
      return [...samplesByRate].reduce((seconds, [rate, samples]) => seconds + samples / rate, 0);
    },
  };
}
