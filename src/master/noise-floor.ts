import { ACX_TARGET } from './acx-spec.js';
import { meanSquareDbfs } from './decibels.js';

/** RMS (dBFS) of the quietest run of whole blocks spanning the noise window, sliding a block at a time. */
export function quietestWindow(
  blocks: Float64Array,
  blockCount: number,
  blockSamples: number,
  samples: number,
  windowMs: number | undefined,
  sampleRateHz: number,
): number {
  const wholeBlocks = Math.floor(samples / blockSamples);
  const span = Math.max(
    1,
    Math.round(((windowMs ?? ACX_TARGET.noiseWindowMs) * sampleRateHz) / 1000 / blockSamples),
  );
  if (wholeBlocks < span) {
    let total = 0;
    for (let index = 0; index < blockCount; index++) total += blocks[index] ?? 0;
    return meanSquareDbfs(samples === 0 ? 0 : total / samples);
  }
  let sum = 0;
  for (let index = 0; index < span; index++) sum += blocks[index] ?? 0;
  let lowest = sum;
  for (let index = span; index < wholeBlocks; index++) {
    sum += (blocks[index] ?? 0) - (blocks[index - span] ?? 0);
    if (sum < lowest) lowest = sum;
  }
  // Sliding sums drift by rounding: a window of digital silence must read as silence.
  return meanSquareDbfs(lowest < 1e-18 ? 0 : lowest / (span * blockSamples));
}
