import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { join } from 'node:path';
import { wavHeader } from '../src/segmind/audio.js';
import { seededRandom } from './common.js';

/** The chapters' format: what the assembly writes (24 kHz mono 16-bit). */
const RATE = 24_000;

/**
 * Speech-like PCM (what the encoder's speed depends on): "syllables" of 120-320 ms, each a
 * voiced tone at 90-260 Hz with three harmonics under a smooth envelope, one in six a pause,
 * over faint noise. Silence or a pure tone would encode faster than a narrator.
 */
function speechLike(samples: number, seed: number): Buffer {
  const next = seededRandom(seed);
  const pcm = Buffer.alloc(samples * 2);
  for (let at = 0; at < samples;) {
    const length = Math.floor((0.12 + next() * 0.2) * RATE);
    const voiced = next() > 1 / 6;
    const f0 = 90 + next() * 170;
    const amplitude = 3000 + next() * 7000;
    for (let i = 0; i < length && at < samples; i += 1, at += 1) {
      const envelope = Math.sin((Math.PI * i) / length);
      const phase = (2 * Math.PI * f0 * i) / RATE;
      const tone = voiced
        ? Math.sin(phase) + 0.5 * Math.sin(2 * phase) + 0.3 * Math.sin(3 * phase) + 0.2 * Math.sin(5 * phase)
        : 0;
      const value = amplitude * envelope * tone * 0.5 + (next() - 0.5) * 300;
      pcm.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(value))), at * 2);
    }
  }
  return pcm;
}

/**
 * The chapter WAVs, each `chapterMin` minutes less a few hundred samples (odd lengths, as
 * trimmed TTS audio has), their audio cut from one generated 10-minute take (the encoder's work
 * per second is what counts, not that chapters differ).
 */
export async function writeChapterWavs(
  dir: string,
  count: number,
  chapterMin: number,
): Promise<{ title: string; file: string }[]> {
  const full = chapterMin * 60 * RATE;
  const take = speechLike(full, 11);
  const chapters: { title: string; file: string }[] = [];
  for (let index = 0; index < count; index += 1) {
    const samples = full - ((index * 7919) % 997);
    const file = join(dir, `${String(index + 1).padStart(3, '0')}.wav`);
    const out = createWriteStream(file);
    out.write(wavHeader(samples * 2, RATE));
    out.end(take.subarray(0, samples * 2));
    await finished(out);
    chapters.push({ title: `Chapter ${index + 1}`, file });
  }
  return chapters;
}
