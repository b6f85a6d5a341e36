import { open } from 'node:fs/promises';

/** What an MP3 file's frame headers say: every frame's bitrate and sample rate, counted. */
export type Mp3Frames = {
  readonly frames: number;
  /** Each bitrate found (kbps) and how many frames carry it; one entry means constant bitrate. */
  readonly bitratesKbps: ReadonlyMap<number, number>;
  readonly sampleRatesHz: ReadonlySet<number>;
  readonly channelModes: ReadonlySet<'stereo' | 'joint' | 'dual' | 'mono'>;
  /** The LAME/Xing tag frame: `Info` is written for constant bitrate, `Xing` for variable. */
  readonly tag: 'Info' | 'Xing' | null;
};

const MPEG1_LAYER3_KBPS = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320] as const;
const MPEG1_RATES_HZ = [44_100, 48_000, 32_000] as const;
const MODES = ['stereo', 'joint', 'dual', 'mono'] as const;
const READ_BYTES = 1 << 20;

function id3v2Size(head: Buffer): number {
  if (head.length < 10 || head.toString('latin1', 0, 3) !== 'ID3') return 0;
  const size = ((head[6] ?? 0) << 21) | ((head[7] ?? 0) << 14) | ((head[8] ?? 0) << 7) | (head[9] ?? 0);
  const footer = ((head[5] ?? 0) & 0x10) !== 0 ? 10 : 0;
  return 10 + size + footer;
}

/**
 * Walks an MPEG-1 Layer III file frame by frame (after an ID3v2 tag), reading only headers.
 * A byte that does not start a frame ends the walk (an ID3v1 tag, trailing junk): what is
 * counted is what a player plays.
 */
export async function readMp3Frames(path: string): Promise<Mp3Frames> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const window = Buffer.alloc(READ_BYTES);
    let windowAt = 0;
    let windowLength = 0;
    // The bytes [at, at + count) from a window of the file read a MB at a time.
    const bytesAt = async (at: number, count: number): Promise<Buffer | undefined> => {
      if (at + count > size) return undefined;
      if (at < windowAt || at + count > windowAt + windowLength) {
        windowAt = at;
        windowLength = (await file.read(window, 0, READ_BYTES, at)).bytesRead;
      }
      return window.subarray(at - windowAt, at - windowAt + count);
    };
    const bitrates = new Map<number, number>();
    const rates = new Set<number>();
    const modes = new Set<(typeof MODES)[number]>();
    let at = id3v2Size((await bytesAt(0, 10)) ?? Buffer.alloc(0));
    let frames = 0;
    let tag: Mp3Frames['tag'] = null;
    for (let header = await bytesAt(at, 4); header !== undefined; header = await bytesAt(at, 4)) {
      const word = header.readUInt32BE(0);
      if ((word & 0xffe00000) >>> 0 !== 0xffe00000) break;
      const version = (word >>> 19) & 3;
      const layer = (word >>> 17) & 3;
      const kbps = MPEG1_LAYER3_KBPS[(word >>> 12) & 15];
      const rate = MPEG1_RATES_HZ[(word >>> 10) & 3];
      if (version !== 3 || layer !== 1 || kbps === undefined || kbps === 0 || rate === undefined) break;
      const padding = (word >>> 9) & 1;
      const mode = MODES[(word >>> 6) & 3] ?? 'stereo';
      const length = Math.floor((144_000 * kbps) / rate) + padding;
      if (frames === 0) {
        // The Xing/Info tag follows the first frame's side information (17 bytes mono, 32 else).
        const id = (await bytesAt(at + 4 + (mode === 'mono' ? 17 : 32), 4))?.toString('latin1');
        tag = id === 'Info' || id === 'Xing' ? id : null;
      }
      bitrates.set(kbps, (bitrates.get(kbps) ?? 0) + 1);
      rates.add(rate);
      modes.add(mode);
      frames += 1;
      at += length;
    }
    return { frames, bitratesKbps: bitrates, sampleRatesHz: rates, channelModes: modes, tag };
  } finally {
    await file.close();
  }
}
