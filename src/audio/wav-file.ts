import { open, type FileHandle } from 'node:fs/promises';
import { AudioFormatError } from './audio-errors.js';

/** Interleaved integer PCM, as a WAV's `fmt ` chunk describes it. */
export type PcmFormat = {
  readonly sampleRate: number;
  readonly channels: number;
  readonly bitsPerSample: number;
};

/** Where a WAV's samples are and what they are. */
export type WavInfo = {
  readonly format: PcmFormat;
  /** Byte offset of the first sample in the file. */
  readonly dataOffset: number;
  /** Bytes of whole frames in the data chunk (clipped to the file, rounded down to a frame). */
  readonly dataBytes: number;
  /** Frames (one sample per channel) in the data chunk. */
  readonly frames: number;
};

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** KSDATAFORMAT_SUBTYPE_PCM after its first two bytes (which repeat the format tag). */
const PCM_SUBTYPE_TAIL = Buffer.from('000000001000800000aa00389b71', 'hex');
/** Writers that stream (ffmpeg to a pipe, some recorders) leave the data size at one of these. */
const UNKNOWN_SIZES: ReadonlySet<number> = new Set([0, 0xffffffff]);

/** Reads `length` bytes at `position` (fewer only at the end of the file). */
export async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buffer.subarray(0, done);
}

function parseFmt(file: string, body: Buffer): PcmFormat {
  if (body.length < 16) throw new AudioFormatError(file, `fmt chunk of ${body.length} bytes (needs 16)`);
  const tag = body.readUInt16LE(0);
  const channels = body.readUInt16LE(2);
  const sampleRate = body.readUInt32LE(4);
  const bitsPerSample = body.readUInt16LE(14);
  const extensiblePcm =
    tag === WAVE_FORMAT_EXTENSIBLE &&
    body.length >= 40 &&
    body.readUInt16LE(24) === WAVE_FORMAT_PCM &&
    body.subarray(26, 40).equals(PCM_SUBTYPE_TAIL);
  if (tag !== WAVE_FORMAT_PCM && !extensiblePcm) {
    throw new AudioFormatError(file, `WAV format tag 0x${tag.toString(16)} is not integer PCM`);
  }
  if (channels === 0 || sampleRate === 0 || bitsPerSample === 0 || bitsPerSample % 8 !== 0) {
    throw new AudioFormatError(
      file,
      `unusable WAV format: ${channels} channels, ${sampleRate} Hz, ${bitsPerSample} bits`,
    );
  }
  return { sampleRate, channels, bitsPerSample };
}

/**
 * Reads where a WAV's samples are, touching only its chunk headers: chunks other than `fmt ` and
 * `data` are skipped (with their pad byte when odd-sized), WAVE_FORMAT_EXTENSIBLE is taken when
 * its subformat is PCM, and a data size a streaming writer left at 0 or 0xFFFFFFFF (or one past
 * the end of a truncated file) is taken from the file's length.
 */
export async function readWavInfo(file: string): Promise<WavInfo> {
  const handle = await open(file, 'r');
  try {
    return await readWavInfoFrom(handle, file);
  } finally {
    await handle.close();
  }
}

/** `readWavInfo` on an open file; `file` only names it in errors. */
export async function readWavInfoFrom(handle: FileHandle, file: string): Promise<WavInfo> {
  const fileBytes = (await handle.stat()).size;
  const riff = await readAt(handle, 0, 12);
  if (
    riff.length < 12 ||
    riff.toString('latin1', 0, 4) !== 'RIFF' ||
    riff.toString('latin1', 8, 12) !== 'WAVE'
  ) {
    throw new AudioFormatError(file, 'not a RIFF/WAVE file');
  }
  let format: PcmFormat | undefined;
  for (let offset = 12; offset + 8 <= fileBytes;) {
    const header = await readAt(handle, offset, 8);
    const id = header.toString('latin1', 0, 4);
    const size = header.readUInt32LE(4);
    if (id === 'fmt ') format = parseFmt(file, await readAt(handle, offset + 8, Math.min(size, 64)));
    if (id === 'data') {
      if (format === undefined) throw new AudioFormatError(file, 'WAV data chunk before its fmt chunk');
      const dataOffset = offset + 8;
      const present = fileBytes - dataOffset;
      const declared = UNKNOWN_SIZES.has(size) ? present : Math.min(size, present);
      const frameBytes = (format.channels * format.bitsPerSample) / 8;
      const frames = Math.floor(declared / frameBytes);
      return { format, dataOffset, dataBytes: frames * frameBytes, frames };
    }
    offset += 8 + size + (size % 2);
  }
  throw new AudioFormatError(
    file,
    format === undefined ? 'WAV without a fmt chunk' : 'WAV without a data chunk',
  );
}
