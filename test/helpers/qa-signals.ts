/** Synthetic mono 16-bit signals for the clip checks' unit tests. */
export const RATE = 24_000;

/** A sine of `amplitude` (of full scale) at `hz` for `seconds`. */
export function sine(seconds: number, amplitude = 0.3, hz = 440, rate = RATE): Int16Array {
  const samples = Math.round(seconds * rate);
  return Int16Array.from({ length: samples }, (_, i) =>
    Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * hz * i) / rate)),
  );
}

export function silence(seconds: number, rate = RATE): Int16Array {
  return new Int16Array(Math.round(seconds * rate));
}

/** Seeded white noise of `rmsDbfs`, uniform, for a noise floor. */
export function noise(seconds: number, rmsDbfs: number, seed = 1, rate = RATE): Int16Array {
  let state = seed >>> 0 || 1;
  // A uniform variable in [-a, a] has an RMS of a / sqrt(3).
  const peak = 32768 * 10 ** (rmsDbfs / 20) * Math.sqrt(3);
  return Int16Array.from({ length: Math.round(seconds * rate) }, () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return Math.round(((state >>> 0) / 2 ** 32 - 0.5) * 2 * peak);
  });
}

/** A fade to silence over the last `seconds` of a signal (a natural end). */
export function fadeOut(pcm: Int16Array, seconds: number, rate = RATE): Int16Array {
  const out = Int16Array.from(pcm);
  const length = Math.min(out.length, Math.round(seconds * rate));
  for (let i = 0; i < length; i += 1) {
    const at = out.length - length + i;
    out[at] = Math.round((out[at] ?? 0) * (1 - (i + 1) / length));
  }
  return out;
}

/** Samples multiplied by `gain` and clamped to 16 bits (overdriven). */
export function amplify(pcm: Int16Array, gain: number): Int16Array {
  return Int16Array.from(pcm, (value) => Math.max(-32768, Math.min(32767, Math.round(value * gain))));
}

export function concat(...parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A text that takes `seconds` at 15 characters a second. */
export function textLasting(seconds: number): string {
  return 'a'.repeat(Math.round(seconds * 15));
}
