import { seededUniform } from './random.js';

/**
 * Ways a real TTS model fails quietly, for `--defect-rate`: audio cut off mid-sentence
 * (`truncated`), a stall of several seconds inside the speech (`silence`), overdriven audio
 * (`clipped`), success with no samples or only zeros (`empty`), and speech stretched to far
 * slower than the text (`slow`).
 */
export const DEFECT_KINDS = ['truncated', 'silence', 'clipped', 'empty', 'slow'] as const;
export type DefectKind = (typeof DEFECT_KINDS)[number];

/** A defect drawn for one request: what, and the request id that seeds its details. */
export type Defect = { readonly kind: DefectKind; readonly seed: number; readonly requestId: string };

/** The defect of a request, if it gets one: each request draws on its own, like faults. */
export function drawDefect(
  seed: number,
  rate: number,
  kinds: readonly DefectKind[],
  requestId: string,
): Defect | undefined {
  if (kinds.length === 0 || seededUniform(seed, 'defect', requestId) >= rate) return undefined;
  const index = Math.floor(seededUniform(seed, 'defect-kind', requestId) * kinds.length);
  return { kind: kinds[index] ?? DEFECT_KINDS[0], seed, requestId };
}

/** A number in [low, high) drawn for this defect's `what`. */
function between(defect: Defect, what: string, low: number, high: number): number {
  return low + (high - low) * seededUniform(defect.seed, 'defect', what, defect.requestId);
}

/** Where a cut lands in sound: the first sample at or after `from` louder than a pause. */
function nextLoud(pcm: Int16Array, from: number): number {
  for (let at = from; at < pcm.length; at += 1) if (Math.abs(pcm[at] ?? 0) >= 2000) return at;
  return from;
}

/** Keeps 20-50% of the clip, cut in the middle of a sound as a model that stops mid-word does. */
function truncate(pcm: Int16Array, defect: Defect, sampleRate: number): Int16Array {
  const sound = nextLoud(pcm, Math.floor(pcm.length * between(defect, 'keep', 0.2, 0.5)));
  // 30 ms into the sound: well inside it, not at its soft onset.
  return pcm.slice(0, Math.min(pcm.length, sound + Math.round(0.03 * sampleRate)));
}

/** 3-6 s of digital silence inserted 30-70% of the way through. */
function stall(pcm: Int16Array, defect: Defect, sampleRate: number): Int16Array {
  const at = Math.floor(pcm.length * between(defect, 'at', 0.3, 0.7));
  const gap = Math.round(sampleRate * between(defect, 'gap', 3, 6));
  const out = new Int16Array(pcm.length + gap);
  out.set(pcm.subarray(0, at));
  out.set(pcm.subarray(at), at + gap);
  return out;
}

/** Amplified 4-8 times and clamped to 16 bits. */
function clip(pcm: Int16Array, defect: Defect): Int16Array {
  const gain = between(defect, 'gain', 4, 8);
  return Int16Array.from(pcm, (value) => Math.max(-32768, Math.min(32767, Math.round(value * gain))));
}

/** No samples at all, or the right number of zeros (half of each). */
function empty(pcm: Int16Array, defect: Defect): Int16Array {
  return between(defect, 'zeros', 0, 1) < 0.5 ? new Int16Array(0) : new Int16Array(pcm.length);
}

/** Stretched 2.2-3 times by linear interpolation (slower and lower, as a stalling model drawls). */
function stretch(pcm: Int16Array, defect: Defect): Int16Array {
  const factor = between(defect, 'stretch', 2.2, 3);
  const out = new Int16Array(Math.round(pcm.length * factor));
  for (let i = 0; i < out.length; i += 1) {
    const position = i / factor;
    const before = Math.floor(position);
    const a = pcm[before] ?? 0;
    const b = pcm[before + 1] ?? a;
    out[i] = Math.round(a + (b - a) * (position - before));
  }
  return out;
}

const APPLY = {
  truncated: truncate,
  silence: stall,
  clipped: clip,
  empty,
  slow: stretch,
} as const satisfies Record<DefectKind, (pcm: Int16Array, defect: Defect, sampleRate: number) => Int16Array>;

/** The defective version of a clip's mono 16-bit samples: a pure function of its arguments. */
export function applyDefect(pcm: Int16Array, defect: Defect, sampleRate: number): Int16Array {
  return APPLY[defect.kind](pcm, defect, sampleRate);
}
