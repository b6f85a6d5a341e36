import { WAV_HEADER_BYTES, wavHeader } from '../segmind/audio.js';
import { createAtomicFile } from './atomic-file.js';
import type { PcmFormat } from './wav-file.js';

/**
 * A WAV written as it is fed, never held whole, landed atomically (see `AtomicFile`): a
 * provisional header first, patched with the final sizes by `finish`.
 */
export type WavWriter = {
  /** Appends interleaved PCM of the writer's format (whole frames). */
  write(pcm: Uint8Array): Promise<void>;
  /** Appends `frames` frames of digital silence. */
  writeSilence(frames: number): Promise<void>;
  /** Frames written so far. */
  readonly frames: number;
  finish(): Promise<{ readonly file: string; readonly dataBytes: number; readonly frames: number }>;
  /** Removes the temporary file. Never throws. */
  discard(): Promise<void>;
};

/** The largest data chunk a RIFF size field can describe. */
export const MAX_WAV_DATA_BYTES = 0xffffffff - (WAV_HEADER_BYTES - 8);
const ZEROS = Buffer.alloc(64 * 1024);

function header(dataBytes: number, format: PcmFormat): Buffer {
  return wavHeader(dataBytes, format.sampleRate, format.channels, format.bitsPerSample);
}

/** Opens the temporary file for `out` and writes a provisional header (data size 0: "unknown"). */
export async function createWavWriter(out: string, format: PcmFormat): Promise<WavWriter> {
  const frameBytes = (format.channels * format.bitsPerSample) / 8;
  const file = await createAtomicFile(out);
  const dataBytes = (): number => file.size - WAV_HEADER_BYTES;
  const append = async (bytes: Uint8Array): Promise<void> => {
    if (bytes.byteLength % frameBytes !== 0) {
      throw new RangeError(`Expected whole ${frameBytes}-byte frames, got ${bytes.byteLength} bytes`);
    }
    if (dataBytes() + bytes.byteLength > MAX_WAV_DATA_BYTES) {
      throw new RangeError(`WAV data past ${MAX_WAV_DATA_BYTES} bytes cannot be described by its header`);
    }
    await file.append(bytes);
  };
  try {
    await file.append(header(0, format));
  } catch (error) {
    await file.discard();
    throw error;
  }
  return {
    write: append,
    async writeSilence(frames) {
      if (!Number.isInteger(frames) || frames < 0) {
        throw new RangeError(`Expected \`frames\` to be an integer >= 0, got \`${frames}\``);
      }
      const zeroFrames = Math.floor(ZEROS.length / frameBytes);
      for (let left = frames; left > 0; left -= zeroFrames) {
        await append(ZEROS.subarray(0, Math.min(left, zeroFrames) * frameBytes));
      }
    },
    get frames() {
      return dataBytes() / frameBytes;
    },
    async finish() {
      const bytes = dataBytes();
      try {
        await file.writeAt(header(bytes, format), 0);
      } catch (error) {
        await file.discard();
        throw error;
      }
      return { file: await file.finish(), dataBytes: bytes, frames: bytes / frameBytes };
    },
    discard: () => file.discard(),
  };
}
