import { open, type FileHandle } from 'node:fs/promises';
import { M4bInputError } from './m4b-errors.js';

/**
 * How an MP4's audio track maps its encoded samples to what a player plays. ffmpeg's mp4 muxer
 * writes an edit list (`elst`) whose media time skips the AAC encoder's priming samples and whose
 * duration is the input's length, so the presentation timeline (the one chapter marks live on)
 * starts at the first input sample.
 */
export type Mp4AudioTiming = {
  /** The audio track's media timescale (`mdhd`): its sample rate for AAC from ffmpeg. */
  readonly timescale: number;
  /** The movie timescale (`mvhd`) in which edit durations are counted. */
  readonly movieTimescale: number;
  /** Encoded samples before the presentation starts (the encoder delay): the edit's media time. */
  readonly primingSamples: number;
  /** Played length in audio samples: the edit's duration, converted from the movie timescale. */
  readonly presentedSamples: number;
  /** Encoded length in audio samples (`mdhd` duration): priming and the last frame's padding included. */
  readonly mediaSamples: number;
};

type Box = { readonly type: string; readonly start: number; readonly end: number };

function* boxes(buffer: Buffer, start: number, end: number): Generator<Box> {
  for (let at = start; at + 8 <= end;) {
    let size = buffer.readUInt32BE(at);
    let header = 8;
    if (size === 1) {
      size = Number(buffer.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) size = end - at;
    if (size < header || at + size > end) return;
    yield { type: buffer.toString('latin1', at + 4, at + 8), start: at + header, end: at + size };
    at += size;
  }
}

function child(buffer: Buffer, parent: Box, type: string): Box | undefined {
  for (const box of boxes(buffer, parent.start, parent.end)) if (box.type === type) return box;
  return undefined;
}

/** Timescale and duration of an `mvhd` or `mdhd` (same layout up to there). */
function header(buffer: Buffer, box: Box): { timescale: number; duration: number } {
  const version = buffer.readUInt8(box.start);
  return version === 1
    ? {
        timescale: buffer.readUInt32BE(box.start + 20),
        duration: Number(buffer.readBigUInt64BE(box.start + 24)),
      }
    : { timescale: buffer.readUInt32BE(box.start + 12), duration: buffer.readUInt32BE(box.start + 16) };
}

function firstEdit(buffer: Buffer, box: Box): { duration: number; mediaTime: number } | undefined {
  const version = buffer.readUInt8(box.start);
  const count = buffer.readUInt32BE(box.start + 4);
  if (count === 0) return undefined;
  const at = box.start + 8;
  return version === 1
    ? { duration: Number(buffer.readBigUInt64BE(at)), mediaTime: Number(buffer.readBigInt64BE(at + 8)) }
    : { duration: buffer.readUInt32BE(at), mediaTime: buffer.readInt32BE(at + 4) };
}

async function readMoov(handle: FileHandle, file: string): Promise<Buffer> {
  const fileBytes = (await handle.stat()).size;
  const head = Buffer.alloc(16);
  for (let at = 0; at + 8 <= fileBytes;) {
    await handle.read(head, 0, 16, at);
    let size = head.readUInt32BE(0);
    let headerBytes = 8;
    if (size === 1) {
      size = Number(head.readBigUInt64BE(8));
      headerBytes = 16;
    } else if (size === 0) size = fileBytes - at;
    if (size < headerBytes) break;
    if (head.toString('latin1', 4, 8) === 'moov') {
      const moov = Buffer.alloc(size - headerBytes);
      await handle.read(moov, 0, moov.length, at + headerBytes);
      return moov;
    }
    at += size;
  }
  throw new M4bInputError(file, 'no moov box: not a complete MP4');
}

/** What the m4b check reads from an MP4's boxes. */
export type Mp4Facts = {
  readonly audio: Mp4AudioTiming;
  /** An iTunes-style cover (`moov/udta/meta/ilst/covr`), as players read it. */
  readonly hasCover: boolean;
};

function hasCover(moov: Buffer, root: Box): boolean {
  const udta = child(moov, root, 'udta');
  const meta = udta && child(moov, udta, 'meta');
  // `meta` is a full box: its children start after 4 bytes of version and flags.
  const ilst = meta && child(moov, { type: 'meta', start: meta.start + 4, end: meta.end }, 'ilst');
  return ilst !== undefined && child(moov, ilst, 'covr') !== undefined;
}

/** Reads the first audio track's timing and the cover's presence from an MP4/M4B (only its `moov`). */
export async function readMp4Facts(file: string): Promise<Mp4Facts> {
  const handle = await open(file, 'r');
  let moov: Buffer;
  try {
    moov = await readMoov(handle, file);
  } finally {
    await handle.close();
  }
  const root: Box = { type: 'moov', start: 0, end: moov.length };
  const mvhd = child(moov, root, 'mvhd');
  if (mvhd === undefined) throw new M4bInputError(file, 'moov without mvhd');
  const movieTimescale = header(moov, mvhd).timescale;
  for (const trak of boxes(moov, 0, moov.length)) {
    if (trak.type !== 'trak') continue;
    const mdia = child(moov, trak, 'mdia');
    const hdlr = mdia && child(moov, mdia, 'hdlr');
    const mdhd = mdia && child(moov, mdia, 'mdhd');
    if (
      hdlr === undefined ||
      mdhd === undefined ||
      moov.toString('latin1', hdlr.start + 8, hdlr.start + 12) !== 'soun'
    ) {
      continue;
    }
    const media = header(moov, mdhd);
    const edts = child(moov, trak, 'edts');
    const elst = edts && child(moov, edts, 'elst');
    const edit = elst && firstEdit(moov, elst);
    const audio: Mp4AudioTiming = {
      timescale: media.timescale,
      movieTimescale,
      primingSamples: edit === undefined ? 0 : Math.max(0, edit.mediaTime),
      presentedSamples:
        edit === undefined ? media.duration : Math.round((edit.duration * media.timescale) / movieTimescale),
      mediaSamples: media.duration,
    };
    return { audio, hasCover: hasCover(moov, root) };
  }
  throw new M4bInputError(file, 'no audio track');
}
