import { writeFile } from 'node:fs/promises';
import { WAV_HEADER_BYTES, wavHeader } from '../../src/segmind/audio.js';

/** A 16-bit PCM WAV of `samples` frames: a sine at `hz` (0: silence) of peak `amplitude`, on every channel. */
export function toneWav(
  samples: number,
  { sampleRate = 24_000, channels = 1, hz = 440, amplitude = 12_000 } = {},
): Buffer {
  const dataBytes = samples * channels * 2;
  const wav = Buffer.alloc(WAV_HEADER_BYTES + dataBytes);
  wavHeader(dataBytes, sampleRate, channels, 16).copy(wav);
  for (let at = 0; at < samples; at += 1) {
    const value = hz === 0 ? 0 : Math.round(amplitude * Math.sin((2 * Math.PI * hz * at) / sampleRate));
    for (let channel = 0; channel < channels; channel += 1)
      wav.writeInt16LE(value, WAV_HEADER_BYTES + (at * channels + channel) * 2);
  }
  return wav;
}

export async function writeToneWav(
  file: string,
  samples: number,
  options: Parameters<typeof toneWav>[1] = {},
): Promise<string> {
  await writeFile(file, toneWav(samples, options));
  return file;
}

/** A 1x1 PNG, enough for a cover. */
export const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
