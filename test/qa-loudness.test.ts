import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { int16Bytes, int16Samples } from '../src/audio/clip-pcm.js';
import { analyseClip } from '../src/qa/analyse-clip.js';
import { integratedLoudness, kWeighting, makeLoudnessMeter } from '../src/qa/loudness.js';
import { compareToRunMedian, median } from '../src/qa/run-median.js';
import { pcmToWav } from '../src/segmind/audio.js';
import { speechPcm } from '../src/simulator/speech-audio.js';
import { amplify, concat, noise, silence, sine } from './helpers/qa-signals.js';

const FFMPEG = '/usr/bin/ffmpeg';

test('K-weighting at 48 kHz has BS.1770-4 tabled coefficients', () => {
  const [shelf, highPass] = kWeighting(48_000);
  const close = (actual: number, expected: number): void =>
    assert.ok(Math.abs(actual - expected) < 1e-8, `${actual}`);
  close(shelf.b0, 1.53512485958697);
  close(shelf.b1, -2.69169618940638);
  close(shelf.b2, 1.19839281085285);
  close(shelf.a1, -1.69065929318241);
  close(shelf.a2, 0.73248077421585);
  close(highPass.a1, -1.99004745483398);
  close(highPass.a2, 0.99007225036621);
});

test('a 997 Hz sine at -20 dBFS peak is -23 LUFS at 48 and 24 kHz; gating leaves out silence and quiet passages', () => {
  for (const rate of [48_000, 24_000]) {
    const tone = sine(20, 0.1, 997, rate);
    const lufs = integratedLoudness(tone, rate) ?? 0;
    assert.ok(Math.abs(lufs - -23.01) < 0.1, `${rate} Hz: ${lufs}`);
    // Absolute gate: seconds of digital silence do not lower it (only the few blocks that
    // straddle an edge, half tone, half silence, still count: ~0.1 LU over 20 s).
    const gapped = integratedLoudness(concat(silence(30, rate), tone, silence(40, rate)), rate) ?? 0;
    assert.ok(Math.abs(gapped - lufs) < 0.15, `gapped ${gapped}`);
    assert.ok(10 * Math.log10(20 / 90) + lufs < gapped - 6, 'ungated, the silence would weigh');
    // Relative gate: a passage 20 dB quieter is under it, so it does not count either.
    const quiet = integratedLoudness(concat(tone, sine(20, 0.01, 997, rate)), rate) ?? 0;
    assert.ok(Math.abs(quiet - lufs) < 0.15, `quiet ${quiet}`);
  }
  assert.equal(integratedLoudness(silence(2), 24_000), undefined);
  assert.equal(integratedLoudness(sine(0.3), 24_000), undefined, 'under one 400 ms block');
  // Stereo: the channels' powers add (+3 dB for the same tone in both).
  const tone = sine(3, 0.1, 997, 48_000);
  const stereo = new Int16Array(tone.length * 2);
  tone.forEach((value, i) => {
    stereo[2 * i] = value;
    stereo[2 * i + 1] = value;
  });
  const meter = makeLoudnessMeter(48_000, 2);
  meter.feed(stereo);
  assert.ok(Math.abs((meter.finish() ?? 0) - (-23.01 + 3.01)) < 0.1);
});

test('the run median and the comparison with it', () => {
  assert.equal(median([]), undefined);
  assert.equal(median([-20, -30, -25]), -25);
  assert.equal(median([-20, -30, -25, -21]), -23);
  assert.deepEqual(compareToRunMedian(-18, -24, 6), { deviationLu: 6, ok: true });
  assert.equal(compareToRunMedian(-31, -24, 6).ok, false);
});

async function ffmpegLufs(file: string): Promise<number> {
  const { stderr } = await promisify(execFile)(FFMPEG, [
    '-hide_banner',
    '-nostats',
    '-i',
    file,
    '-af',
    'ebur128',
    '-f',
    'null',
    '-',
  ]);
  const summary = stderr.slice(stderr.lastIndexOf('Summary:'));
  const match = /I:\s+(-?[\d.]+|-inf) LUFS/.exec(summary);
  assert.ok(match?.[1] !== undefined, summary);
  return Number(match[1]);
}

test("integrated loudness agrees with ffmpeg's ebur128 within 0.5 LU on the same files", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'qa-lufs-'));
  try {
    const narration =
      'The lantern swung in the window, and the old station slept. She said she remembered the river, ' +
      'and walked north through the garden towards morning. "Never again," he whispered.';
    const speech = int16Samples(speechPcm(narration));
    const cases: { name: string; pcm: Int16Array; rate: number; channels: number }[] = [
      { name: 'simulator speech', pcm: speech, rate: 24_000, channels: 1 },
      { name: 'speech 14 dB down', pcm: amplify(speech, 0.2), rate: 24_000, channels: 1 },
      { name: 'speech with a stall', pcm: concat(speech, silence(4), speech), rate: 24_000, channels: 1 },
      { name: 'clipped speech', pcm: amplify(speech, 6), rate: 24_000, channels: 1 },
      {
        name: 'noise and tone at 44.1 kHz',
        pcm: concat(noise(3, -30, 3, 44_100), sine(3, 0.4, 220, 44_100)),
        rate: 44_100,
        channels: 1,
      },
      { name: 'stereo noise at 48 kHz', pcm: noise(4, -26, 9, 48_000), rate: 48_000, channels: 2 },
    ];
    for (const { name, pcm, rate, channels } of cases) {
      const file = join(dir, `${name.replaceAll(' ', '-')}.wav`);
      await writeFile(file, pcmToWav(int16Bytes(pcm), rate, channels, 16));
      const ours = (await analyseClip(file, 'x')).measured.integrated_lufs;
      const theirs = await ffmpegLufs(file);
      t.diagnostic(`${name}: ours ${ours} LUFS, ffmpeg ${theirs} LUFS`);
      assert.ok(ours !== null && Math.abs(ours - theirs) <= 0.5, `${name}: ours ${ours}, ffmpeg ${theirs}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
