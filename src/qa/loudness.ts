/**
 * Integrated loudness per ITU-R BS.1770-4, over 16-bit PCM fed in chunks: each channel
 * K-weighted (a high-shelf then a high-pass biquad, designed for the clip's own sample rate
 * from the analogue prototype, as libebur128 does), mean squares of 400 ms blocks overlapping
 * by 75% (one every 100 ms), an absolute gate at -70 LUFS, then a relative gate 10 LU under
 * the loudness of the blocks that passed the first. Only one mean square per 100 ms is kept.
 */
export type LoudnessMeter = {
  /** Interleaved 16-bit samples, whole frames. */
  feed(pcm: Int16Array): void;
  /** LUFS, or `undefined` when no block passes the absolute gate (silence, or under 400 ms). */
  finish(): number | undefined;
};

type Biquad = { b0: number; b1: number; b2: number; a1: number; a2: number };

const ABSOLUTE_GATE_LUFS = -70;
const RELATIVE_GATE_LU = -10;

/** The two K-weighting stages at `sampleRate` (equal to BS.1770's tabled coefficients at 48 kHz). */
export function kWeighting(sampleRate: number): readonly [Biquad, Biquad] {
  let f0 = 1681.974450955533;
  const gainDb = 3.999843853973347;
  let q = 0.7071752369554196;
  let k = Math.tan((Math.PI * f0) / sampleRate);
  const vh = 10 ** (gainDb / 20);
  const vb = vh ** 0.4996667741545416;
  let a0 = 1 + k / q + k * k;
  const shelf = {
    b0: (vh + (vb * k) / q + k * k) / a0,
    b1: (2 * (k * k - vh)) / a0,
    b2: (vh - (vb * k) / q + k * k) / a0,
    a1: (2 * (k * k - 1)) / a0,
    a2: (1 - k / q + k * k) / a0,
  };
  f0 = 38.13547087602444;
  q = 0.5003270373238773;
  k = Math.tan((Math.PI * f0) / sampleRate);
  a0 = 1 + k / q + k * k;
  const highPass = { b0: 1, b1: -2, b2: 1, a1: (2 * (k * k - 1)) / a0, a2: (1 - k / q + k * k) / a0 };
  return [shelf, highPass];
}

/** Loudness of a mean square (summed over channels, all weighted 1: mono, left, right, centre). */
export function lufsOf(meanSquare: number): number {
  return -0.691 + 10 * Math.log10(meanSquare);
}

export function makeLoudnessMeter(sampleRate: number, channels: number): LoudnessMeter {
  const [shelf, highPass] = kWeighting(sampleRate);
  // Direct form II transposed state per channel: two stages, two words each.
  const state = new Float64Array(channels * 4);
  const subBlockFrames = Math.round(sampleRate / 10);
  // Sums of squares of each 100 ms quarter-block, summed over channels.
  const quarters: number[] = [];
  let quarterSum = 0;
  let quarterFrames = 0;
  // The same filter as below with its state in locals: about twice as fast for Gemini's mono.
  const feedMono = (pcm: Int16Array): void => {
    let s0: number = state[0] ?? 0;
    let s1: number = state[1] ?? 0;
    let s2: number = state[2] ?? 0;
    let s3: number = state[3] ?? 0;
    const { b0, b1, b2, a1, a2 } = shelf;
    const { a1: h1, a2: h2 } = highPass;
    for (let at = 0; at < pcm.length; at += 1) {
      const x = (pcm[at] ?? 0) / 32768;
      const y1 = b0 * x + s0;
      s0 = b1 * x - a1 * y1 + s1;
      s1 = b2 * x - a2 * y1;
      const y2 = y1 + s2;
      s2 = -2 * y1 - h1 * y2 + s3;
      s3 = y1 - h2 * y2;
      quarterSum += y2 * y2;
      quarterFrames += 1;
      if (quarterFrames === subBlockFrames) {
        quarters.push(quarterSum);
        quarterSum = 0;
        quarterFrames = 0;
      }
    }
    state.set([s0, s1, s2, s3]);
  };
  return {
    feed(pcm) {
      if (channels === 1) {
        feedMono(pcm);
        return;
      }
      for (let at = 0; at < pcm.length;) {
        for (let channel = 0; channel < channels; channel += 1, at += 1) {
          const x = (pcm[at] ?? 0) / 32768;
          const s = channel * 4;
          const y1 = shelf.b0 * x + (state[s] ?? 0);
          state[s] = shelf.b1 * x - shelf.a1 * y1 + (state[s + 1] ?? 0);
          state[s + 1] = shelf.b2 * x - shelf.a2 * y1;
          const y2 = y1 + (state[s + 2] ?? 0);
          state[s + 2] = -2 * y1 - highPass.a1 * y2 + (state[s + 3] ?? 0);
          state[s + 3] = y1 - highPass.a2 * y2;
          quarterSum += y2 * y2;
        }
        quarterFrames += 1;
        if (quarterFrames === subBlockFrames) {
          quarters.push(quarterSum);
          quarterSum = 0;
          quarterFrames = 0;
        }
      }
    },
    finish() {
      const blockFrames = 4 * subBlockFrames;
      const blocks: number[] = [];
      for (let end = 4; end <= quarters.length; end += 1) {
        const sum =
          (quarters[end - 4] ?? 0) +
          (quarters[end - 3] ?? 0) +
          (quarters[end - 2] ?? 0) +
          (quarters[end - 1] ?? 0);
        blocks.push(sum / blockFrames);
      }
      const loud = blocks.filter((z) => z > 0 && lufsOf(z) > ABSOLUTE_GATE_LUFS);
      if (loud.length === 0) return undefined;
      const relativeGate = lufsOf(mean(loud)) + RELATIVE_GATE_LU;
      const gated = loud.filter((z) => lufsOf(z) > relativeGate);
      return lufsOf(mean(gated));
    },
  };
}

function mean(values: readonly number[]): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/** Integrated loudness of PCM in memory. */
export function integratedLoudness(pcm: Int16Array, sampleRate: number, channels = 1): number | undefined {
  const meter = makeLoudnessMeter(sampleRate, channels);
  meter.feed(pcm);
  return meter.finish();
}
