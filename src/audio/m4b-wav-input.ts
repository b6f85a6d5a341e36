import { open } from 'node:fs/promises';
import { M4bInputError } from './m4b-errors.js';

/**
 * A chapter WAV's sample format and where its samples are. A minimal reader of the headers the
 * chapter joiner writes (RIFF, `fmt ` PCM, `data`); it skips other chunks. To be replaced by the
 * shared reader in `wav-file.ts` once that is in.
 */
export type ChapterWav = {
  readonly file: string;
  readonly sampleRate: number;
  readonly channels: number;
  readonly bitsPerSample: number;
  readonly dataOffset: number;
  readonly dataBytes: number;
  /** Frames (one sample per channel): `dataBytes / (channels * bitsPerSample / 8)`. */
  readonly samples: number;
};

const HEADER_PROBE_BYTES = 4096;

export async function readChapterWav(file: string): Promise<ChapterWav> {
  const handle = await open(file, 'r');
  try {
    const fileBytes = (await handle.stat()).size;
    const head = Buffer.alloc(Math.min(HEADER_PROBE_BYTES, fileBytes));
    await handle.read(head, 0, head.length, 0);
    if (
      head.length < 12 ||
      head.toString('latin1', 0, 4) !== 'RIFF' ||
      head.toString('latin1', 8, 12) !== 'WAVE'
    ) {
      throw new M4bInputError(file, 'not a RIFF/WAVE file');
    }
    let format: { sampleRate: number; channels: number; bitsPerSample: number } | undefined;
    for (let at = 12; at + 8 <= head.length;) {
      const id = head.toString('latin1', at, at + 4);
      const size = head.readUInt32LE(at + 4);
      if (id === 'fmt ' && at + 24 <= head.length) {
        if (head.readUInt16LE(at + 8) !== 1) throw new M4bInputError(file, 'WAV is not integer PCM');
        format = {
          channels: head.readUInt16LE(at + 10),
          sampleRate: head.readUInt32LE(at + 12),
          bitsPerSample: head.readUInt16LE(at + 22),
        };
      } else if (id === 'data') {
        if (format === undefined) throw new M4bInputError(file, 'WAV data chunk before its fmt chunk');
        const frameBytes = (format.channels * format.bitsPerSample) / 8;
        const present = fileBytes - (at + 8);
        const declared = size === 0 || size === 0xffffffff ? present : Math.min(size, present);
        const samples = Math.floor(declared / frameBytes);
        return { file, ...format, dataOffset: at + 8, dataBytes: samples * frameBytes, samples };
      }
      at += 8 + size + (size % 2);
    }
    throw new M4bInputError(file, 'no WAV data chunk in its first 4 KiB');
  } finally {
    await handle.close();
  }
}
