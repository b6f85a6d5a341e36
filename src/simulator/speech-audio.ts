import { createHash } from 'node:crypto';
import { applyDefect, type Defect } from './defects.js';
import { mp3Stream } from './mp3.js';
import type { AudioFormat } from './options.js';

/** What the Gemini TTS models produce: 16-bit little-endian PCM, mono, 24 kHz. */
export const SAMPLE_RATE_HZ = 24_000;
export const CHARS_PER_SECOND = 15;
export const MIN_DURATION_S = 0.5;
const SAMPLES_PER_CHAR = SAMPLE_RATE_HZ / CHARS_PER_SECOND;
const PEAK = 0.3 * 32767;
/** The tail of every utterance, where the voice fades out (150 ms), as a real model's does. */
const TAIL_SAMPLES = Math.round(0.15 * SAMPLE_RATE_HZ);
// A table lookup is several times faster than Math.sin, and exactly reproducible on every host.
const SINE_TABLE_SIZE = 4096;
const SINE = Float64Array.from({ length: SINE_TABLE_SIZE }, (_, i) =>
  Math.sin((2 * Math.PI * i) / SINE_TABLE_SIZE),
);
const BIG_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 0;

/** How many samples the simulator makes for a text: ~15 characters per second, at least 0.5 s. */
export function speechSampleCount(text: string): number {
  const chars = [...text].length;
  return Math.max(Math.round(MIN_DURATION_S * SAMPLE_RATE_HZ), Math.round(chars * SAMPLES_PER_CHAR));
}

/** Seconds of audio the simulator makes for a text. */
export function speechDurationS(text: string): number {
  return speechSampleCount(text) / SAMPLE_RATE_HZ;
}

const VOWELS = new Set('aeiouyAEIOUYàáâäèéêëìíîïòóôöùúûü');
const HISS = new Set('sSzZfFhHxXcC');

/**
 * The 16-bit LE mono 24 kHz PCM the simulator produces for a text: a pure function of the text alone.
 * Each character is 1/15 s: letters and digits are voiced (a pitched tone with harmonics, brighter
 * on vowels, with noise on sibilants), everything else is a pause, so the result sounds like
 * syllables and words rather than a test tone. Pitch and amplitude glide, so there are no clicks.
 */
export function speechPcm(text: string, defect?: Defect): Buffer {
  const render = makeRenderer(text);
  render(render.samples);
  return render.finish(defect);
}

/**
 * The same bytes as speechPcm, rendered a slice at a time with the event loop let through in
 * between, so that serving audio (a CDN's job) never holds up the API calls of other clients.
 */
export async function speechPcmAsync(text: string, sliceSamples = 12_000, defect?: Defect): Promise<Buffer> {
  const render = makeRenderer(text);
  while (!render(sliceSamples)) await new Promise((resolve) => setImmediate(resolve));
  return render.finish(defect);
}

type Renderer = ((count: number) => boolean) & {
  readonly samples: number;
  /** The bytes, made defective first when a defect is given (see defects.ts). */
  finish(defect?: Defect): Buffer;
};

function makeRenderer(text: string): Renderer {
  const chars = [...text];
  const samples = speechSampleCount(text);
  const hash = createHash('sha256').update(text).digest();
  const baseF0Hz = 95 + ((hash[0] ?? 0) / 255) * 90;
  let noise = hash.readUInt32LE(4) | 1;
  const glide = 1 - Math.exp(-1 / (0.008 * SAMPLE_RATE_HZ));
  const shapes = chars.map((char) => ({
    voiced: /[\p{L}\p{N}]/u.test(char) ? 1 : 0,
    bright: VOWELS.has(char) ? 1 : 0.3,
    hiss: HISS.has(char) ? 1 : 0,
    pitchOffsetHz: ((char.codePointAt(0) ?? 0) % 7) * 3,
  }));
  const pause = { voiced: 0, bright: 0.3, hiss: 0, pitchOffsetHz: 0 };
  let shape = pause;
  // Int16Array rather than Buffer.writeInt16LE: about ten times faster; byte order fixed below.
  const pcm = new Int16Array(samples);
  // In cycles, [0, 1).
  let phase = 0;
  let f0Hz = baseF0Hz;
  let amplitude = 0;
  let brightness = 0;
  let hiss = 0;
  let wobbleHz = 0;
  let i = 0;
  /** Renders up to `count` more samples; true once all are done. */
  const render = (count: number): boolean => {
    const stop = Math.min(samples, i + count);
    for (; i < stop; i += 1) {
      if (i % SAMPLES_PER_CHAR === 0) shape = shapes[i / SAMPLES_PER_CHAR] ?? pause;
      // A speaker's voice dies away at the end of an utterance: the last TAIL_SAMPLES are a pause.
      if (i >= samples - TAIL_SAMPLES) shape = pause;
      // Intonation: a slow fall over the text plus a wobble (updated every 10 ms, which is plenty).
      if (i % 240 === 0) wobbleHz = 12 * Math.sin((i / SAMPLE_RATE_HZ) * 4.1);
      const targetF0Hz = baseF0Hz * (1.1 - 0.1 * (i / samples)) + wobbleHz + shape.pitchOffsetHz;
      f0Hz += (targetF0Hz - f0Hz) * glide;
      amplitude += (shape.voiced - amplitude) * glide;
      brightness += (shape.bright - brightness) * glide;
      hiss += (shape.hiss - hiss) * glide;
      phase += f0Hz / SAMPLE_RATE_HZ;
      if (phase >= 1) phase -= 1;
      let white = 0;
      if (hiss > 1e-3) {
        // xorshift32: cheap deterministic noise, only where a sibilant needs it.
        noise ^= noise << 13;
        noise ^= noise >>> 17;
        noise ^= noise << 5;
        white = (noise >>> 0) / 2 ** 32 - 0.5;
      }
      const index = (phase * SINE_TABLE_SIZE) | 0;
      const sin1 = SINE[index] ?? 0;
      const cos1 = SINE[(index + SINE_TABLE_SIZE / 4) % SINE_TABLE_SIZE] ?? 0;
      // sin 2x and sin 3x from sin x and cos x.
      const sin2 = 2 * sin1 * cos1;
      const sin3 = sin1 * (3 - 4 * sin1 * sin1);
      const tone = 0.6 * sin1 + brightness * (0.3 * sin2 + 0.15 * sin3);
      const value = amplitude * PEAK * (tone * (1 - 0.6 * hiss) + hiss * 0.8 * white);
      // |value| < PEAK · 1.05, far inside the 16-bit range: no clamping needed.
      pcm[i] = Math.round(value);
    }
    return i >= samples;
  };
  return Object.assign(render, {
    samples,
    finish(defect?: Defect): Buffer {
      const samples = defect === undefined ? pcm : applyDefect(pcm, defect, SAMPLE_RATE_HZ);
      const bytes = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
      if (BIG_ENDIAN_HOST) bytes.swap16();
      return bytes;
    },
  });
}

/** A canonical 44-byte RIFF/WAVE header for 16-bit mono PCM at 24 kHz. */
export function wavHeader(dataBytes: number): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(SAMPLE_RATE_HZ, 24);
  header.writeUInt32LE(SAMPLE_RATE_HZ * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(dataBytes, 40);
  return header;
}

/**
 * Samples in the MP3 of a text: its speech's, or its defective speech's (the frames are silent,
 * so of a defect an MP3 shows only the length: truncated, stretched, stalled or empty).
 */
function mp3Samples(text: string, defect: Defect | undefined): number {
  return defect === undefined ? speechSampleCount(text) : speechPcm(text, defect).length / 2;
}

/**
 * The exact bytes served for a text in a given --audio format (WAV = 44-byte RIFF header +
 * speechPcm), made defective when the request drew a defect (`--defect-rate`).
 */
export function servedAudio(text: string, format: AudioFormat, defect?: Defect): Buffer {
  switch (format) {
    case 'pcm':
      return speechPcm(text, defect);
    case 'wav': {
      const pcm = speechPcm(text, defect);
      return Buffer.concat([wavHeader(pcm.length), pcm]);
    }
    case 'mp3':
      return mp3Stream(mp3Samples(text, defect));
  }
}

/** servedAudio without blocking the event loop for the whole rendering (see speechPcmAsync). */
export async function servedAudioAsync(text: string, format: AudioFormat, defect?: Defect): Promise<Buffer> {
  if (format === 'mp3') return mp3Stream(mp3Samples(text, defect));
  const pcm = await speechPcmAsync(text, undefined, defect);
  return format === 'pcm' ? pcm : Buffer.concat([wavHeader(pcm.length), pcm]);
}

export const AUDIO_MIME_TYPES = {
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  pcm: 'audio/L16;rate=24000',
} as const satisfies Record<AudioFormat, string>;
