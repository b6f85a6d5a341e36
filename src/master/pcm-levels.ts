import { ACX_TARGET } from './acx-spec.js';
import { meanSquareDbfs } from './decibels.js';
import { quietestWindow } from './noise-floor.js';

/** What the ACX report measures of one file, from its decoded 16-bit PCM. */
export type PcmLevels = {
  readonly sampleRateHz: number;
  readonly samples: number;
  readonly durationS: number;
  /** RMS of every sample, in dBFS (a full-scale square wave is 0 dBFS). */
  readonly rmsDbfs: number;
  /** The largest absolute sample, in dBFS. */
  readonly peakDbfs: number;
  /** RMS of the quietest window of `noiseWindowMs` (the whole file when it is shorter). */
  readonly noiseFloorDbfs: number;
  /** Room tone before the first block of sound, and after the last one, in seconds. */
  readonly headRoomToneS: number;
  readonly tailRoomToneS: number;
  /** First sample of the first sound block, and the sample after the last one (0 and 0 if none). */
  readonly soundStartSample: number;
  readonly soundEndSample: number;
};

export type LevelOptions = {
  /** A block louder than this is sound (default `ACX_TARGET.soundThresholdDbfs`). */
  readonly soundThresholdDbfs?: number;
  readonly noiseWindowMs?: number;
  readonly blockMs?: number;
};

const FULL_SCALE = 32_768;
const BIG_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 0;

/**
 * A meter fed mono s16le PCM chunk by chunk (any byte boundaries): it keeps one sum of squares
 * per 10 ms block (an hour is 360,000 numbers), so room tone and the noise floor are found after
 * the last chunk without holding the audio.
 */
export function makeLevelMeter(sampleRateHz: number, options: LevelOptions = {}) {
  const blockSamples = Math.max(1, Math.round((sampleRateHz * (options.blockMs ?? 10)) / 1000));
  let blocks = new Float64Array(4096);
  let blockCount = 0;
  let blockSum = 0;
  let inBlock = 0;
  let samples = 0;
  let sumSquares = 0;
  let peak = 0;
  let carry: Buffer | undefined;

  const closeBlock = () => {
    if (blockCount === blocks.length) {
      const grown = new Float64Array(blocks.length * 2);
      grown.set(blocks);
      blocks = grown;
    }
    blocks[blockCount++] = blockSum;
    blockSum = 0;
    inBlock = 0;
  };

  return {
    push(chunk: Buffer): void {
      let data = chunk;
      if (carry !== undefined) {
        data = Buffer.concat([carry, chunk]);
        carry = undefined;
      }
      const whole = data.length - (data.length % 2);
      if (whole < data.length) carry = Buffer.from(data.subarray(whole));
      const aligned = data.byteOffset % 2 === 0 ? data : Buffer.from(data.subarray(0, whole));
      const view = new Int16Array(aligned.buffer, aligned.byteOffset, whole / 2);
      for (let at = 0; at < view.length; at++) {
        const value = (BIG_ENDIAN_HOST ? aligned.readInt16LE(at * 2) : (view[at] ?? 0)) / FULL_SCALE;
        const square = value * value;
        sumSquares += square;
        blockSum += square;
        const magnitude = value < 0 ? -value : value;
        if (magnitude > peak) peak = magnitude;
        if (++inBlock === blockSamples) closeBlock();
      }
      samples += whole / 2;
    },
    finish(): PcmLevels {
      const partial = inBlock;
      if (partial > 0) closeBlock();
      const lengthOf = (index: number) => (index === blockCount - 1 && partial > 0 ? partial : blockSamples);
      const threshold = 10 ** ((options.soundThresholdDbfs ?? ACX_TARGET.soundThresholdDbfs) / 10);
      let first = -1;
      let last = -1;
      for (let index = 0; index < blockCount; index++) {
        if ((blocks[index] ?? 0) / lengthOf(index) > threshold) {
          if (first < 0) first = index;
          last = index;
        }
      }
      const soundStartSample = first < 0 ? 0 : first * blockSamples;
      const soundEndSample = last < 0 ? 0 : Math.min(samples, (last + 1) * blockSamples);
      const head = first < 0 ? samples : soundStartSample;
      const tail = first < 0 ? samples : samples - soundEndSample;
      return {
        sampleRateHz,
        samples,
        durationS: samples / sampleRateHz,
        rmsDbfs: meanSquareDbfs(samples === 0 ? 0 : sumSquares / samples),
        peakDbfs: peak > 0 ? Math.max(ACX_TARGET.floorDbfs, 20 * Math.log10(peak)) : ACX_TARGET.floorDbfs,
        noiseFloorDbfs: quietestWindow(
          blocks,
          blockCount,
          blockSamples,
          samples,
          options.noiseWindowMs,
          sampleRateHz,
        ),
        headRoomToneS: head / sampleRateHz,
        tailRoomToneS: tail / sampleRateHz,
        soundStartSample,
        soundEndSample,
      };
    },
  };
}

export type LevelMeter = ReturnType<typeof makeLevelMeter>;

/** Measures a whole stream of mono s16le PCM. */
export async function measurePcm(
  chunks: AsyncIterable<Buffer>,
  sampleRateHz: number,
  options?: LevelOptions,
) {
  const meter = makeLevelMeter(sampleRateHz, options);
  for await (const chunk of chunks) meter.push(chunk);
  return meter.finish();
}
