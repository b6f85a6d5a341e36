import { writeFile } from 'node:fs/promises';

/** A 16-bit PCM WAV of `samples` frames: a sine at `hz` (0: silence) of peak `amplitude`, on every channel. */
export function toneWav(
  samples: number,
  { sampleRate = 24_000, channels = 1, hz = 440, amplitude = 12_000 } = {},
): Buffer {
  const dataBytes = samples * channels * 2;
  const wav = Buffer.alloc(44 + dataBytes);
  wav.write('RIFF', 0, 'latin1');
  wav.writeUInt32LE(36 + dataBytes, 4);
  wav.write('WAVEfmt ', 8, 'latin1');
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(channels, 22);
  wav.writeUInt32LE(sampleRate, 24);
  wav.writeUInt32LE(sampleRate * channels * 2, 28);
  wav.writeUInt16LE(channels * 2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36, 'latin1');
  wav.writeUInt32LE(dataBytes, 40);
  for (let at = 0; at < samples; at += 1) {
    const value = hz === 0 ? 0 : Math.round(amplitude * Math.sin((2 * Math.PI * hz * at) / sampleRate));
    for (let channel = 0; channel < channels; channel += 1)
      wav.writeInt16LE(value, 44 + (at * channels + channel) * 2);
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
