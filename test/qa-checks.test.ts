import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyseClip, type PcmClip } from '../src/qa/analyse-clip.js';
import { makeClipAnalyser } from '../src/qa/clip-analyser.js';
import { checkDuration } from '../src/qa/duration-check.js';
import { parseQaThresholds, qaThresholds, DEFAULT_QA_THRESHOLDS } from '../src/qa/thresholds.js';
import { GEMINI_PCM, pcmToWav } from '../src/segmind/audio.js';
import { loadSettings } from '../src/settings.js';
import { amplify, concat, fadeOut, noise, RATE, silence, sine, textLasting } from './helpers/qa-signals.js';

const mono = (pcm: Int16Array): PcmClip => ({ pcm, format: GEMINI_PCM });

/** Speech-like: a tone that fades out over 50 ms, then 200 ms of room. */
function spoken(seconds: number, amplitude = 0.3): Int16Array {
  return concat(fadeOut(sine(seconds, amplitude), 0.05), silence(0.2));
}

test('a clean tone of the right length for its text passes, with its measured values', async () => {
  const qa = await analyseClip(mono(concat(silence(0.1), spoken(4))), textLasting(4));
  assert.equal(qa.verdict, 'pass', JSON.stringify(qa));
  assert.deepEqual(qa.reasons, []);
  const m = qa.measured;
  assert.equal(m.sample_rate, 24_000);
  assert.equal(m.duration_s, 4.3);
  assert.ok(Math.abs((m.speech_s ?? 0) - 4) < 0.06, `speech ${m.speech_s}`);
  assert.equal(m.expected_s, 4);
  assert.ok(Math.abs((m.leading_silence_s ?? 0) - 0.1) < 0.01);
  assert.ok(Math.abs((m.trailing_silence_s ?? 0) - 0.2) < 0.05);
  assert.ok(Math.abs((m.peak_dbfs ?? 0) - 20 * Math.log10(0.3)) < 0.05);
  assert.equal(m.clipped_runs, 0);
  assert.notEqual(m.integrated_lufs, null);
});

test('format: empty, all zeros, constant, only a noise floor, and the wrong rate or layout', async () => {
  const text = textLasting(1);
  assert.deepEqual((await analyseClip(mono(new Int16Array(0)), text)).reasons, ['empty']);
  assert.deepEqual((await analyseClip(mono(silence(1)), text)).reasons, ['silent']);
  assert.deepEqual((await analyseClip(mono(new Int16Array(RATE).fill(1200)), text)).reasons, ['constant']);
  assert.deepEqual((await analyseClip(mono(noise(1, -65)), text)).reasons, ['no_speech']);
  const at44 = await analyseClip(
    { pcm: sine(1.3, 0.3, 440, 44_100), format: { ...GEMINI_PCM, sampleRate: 44_100 } },
    text,
  );
  assert.equal(at44.reasons[0], 'format');
  assert.equal(at44.measured.sample_rate, 44_100);
  const stereo = await analyseClip(
    { pcm: concat(spoken(1), spoken(1)), format: { ...GEMINI_PCM, channels: 2 } },
    text,
  );
  assert.ok(stereo.reasons.includes('format'));
});

test('format, from a file: what does not decode as 16-bit PCM fails with format and why', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'qa-format-'));
  try {
    const text = textLasting(1);
    const notAudio = join(dir, 'clip.wav');
    await writeFile(notAudio, '{"error":"quota exceeded"}');
    const refused = await analyseClip(notAudio, text);
    assert.deepEqual(refused.reasons, ['format']);
    assert.match(refused.measured.error ?? '', /neither WAV nor MP3/);
    const deep = join(dir, 'deep.wav');
    await writeFile(deep, pcmToWav(Buffer.alloc(3 * RATE), RATE, 1, 24));
    assert.match((await analyseClip(deep, text)).measured.error ?? '', /24-bit/);
    const good = join(dir, 'good.wav');
    await writeFile(good, pcmToWav(Buffer.from(spoken(1).buffer), RATE, 1, 16));
    assert.deepEqual((await analyseClip(good, text)).reasons, []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('duration against the text: too short is truncated, too long is too_long, with slack for short texts', async () => {
  const text = textLasting(6);
  assert.deepEqual((await analyseClip(mono(spoken(2)), text)).reasons, ['truncated']);
  assert.deepEqual((await analyseClip(mono(spoken(12)), text)).reasons, ['too_long']);
  assert.deepEqual((await analyseClip(mono(spoken(6)), text)).reasons, []);
  // A learned rate of 10 chars/s expects 9 s of this text: 6 s is within, 4.5 s is not.
  assert.deepEqual((await analyseClip(mono(spoken(6)), text, { charsPerSecond: 10 })).reasons, []);
  assert.deepEqual((await analyseClip(mono(spoken(4.5)), text, { charsPerSecond: 10 })).reasons, [
    'truncated',
  ]);
  // "Hi." is 0.2 s at 15 chars/s; a model's 0.5 s is not a stall.
  assert.equal(checkDuration(0.5, 'Hi.', 15, DEFAULT_QA_THRESHOLDS).problem, undefined);
  const cjk = checkDuration(2, '你好世界', 15, DEFAULT_QA_THRESHOLDS);
  assert.equal(cjk.expectedS, 12 / 15);
});

test('leading, trailing and inner silence', async () => {
  const text = textLasting(4);
  const late = await analyseClip(mono(concat(silence(1.5), spoken(4))), text);
  assert.deepEqual(late.reasons, ['leading_silence']);
  assert.ok(Math.abs((late.measured.leading_silence_s ?? 0) - 1.5) < 0.01);
  const tail = await analyseClip(mono(concat(spoken(4), silence(2.5))), text);
  assert.deepEqual(tail.reasons, ['trailing_silence']);
  const stall = await analyseClip(mono(concat(sine(1.5), silence(2.5), spoken(1.5))), text);
  assert.ok(stall.reasons.includes('inner_silence'), JSON.stringify(stall));
  assert.ok(Math.abs(stall.measured.longest_inner_silence_s - 2.5) < 0.01);
  const pause = await analyseClip(mono(concat(sine(1.5), silence(1), spoken(1.5))), text);
  assert.deepEqual(pause.reasons, []);
  assert.ok(Math.abs(pause.measured.longest_inner_silence_s - 1) < 0.01);
  // Room tone under the threshold is silence; a noise floor above it is not.
  const room = await analyseClip(mono(concat(sine(1.5), noise(2.5, -60), spoken(1.5))), text);
  assert.ok(room.reasons.includes('inner_silence'));
});

test('an abrupt end: a sine cut off at full level, not one that fades or has room after it', async () => {
  const text = textLasting(3);
  const cut = await analyseClip(mono(sine(3)), text);
  assert.deepEqual(cut.reasons, ['abrupt_end']);
  assert.ok((cut.measured.final_dbfs ?? -99) > (cut.measured.speech_dbfs ?? 0) - 1);
  assert.deepEqual((await analyseClip(mono(fadeOut(sine(3), 0.08)), text)).reasons, []);
  assert.deepEqual((await analyseClip(mono(concat(sine(3), silence(0.15))), text)).reasons, []);
});

test('clipping: runs of full-scale samples, not a loud clean peak or lone full-scale samples', async () => {
  const text = textLasting(3);
  const clipped = await analyseClip(mono(amplify(spoken(3), 4)), text);
  assert.deepEqual(clipped.reasons, ['clipping']);
  assert.ok(clipped.measured.clipped_runs > 100);
  assert.deepEqual((await analyseClip(mono(spoken(3, 0.99)), text)).measured.clipped_runs, 0);
  const lone = spoken(3);
  for (const at of [1000, 5000, 9000, 13000]) lone[at] = 32767;
  assert.equal((await analyseClip(mono(lone), text)).measured.clipped_runs, 0);
});

test('loudness against the run median', async () => {
  const text = textLasting(3);
  const loud = await analyseClip(mono(spoken(3, 0.3)), text, { runMedianLufs: -30 });
  assert.deepEqual(loud.reasons, ['loudness']);
  assert.equal(loud.measured.run_median_lufs, -30);
  const near = await analyseClip(mono(spoken(3, 0.3)), text, {
    runMedianLufs: (loud.measured.integrated_lufs ?? 0) + 3,
  });
  assert.deepEqual(near.reasons, []);
});

test('fed in chunks of any size, the analyser measures what it measures on the whole clip', async () => {
  const pcm = concat(noise(0.3, -70), sine(2.1, 0.5), silence(2.2), amplify(sine(1), 5), sine(0.7, 0.2));
  const text = textLasting(5);
  const whole = await analyseClip(mono(pcm), text);
  for (const size of [1, 239, 2400, 48_001]) {
    const analyser = makeClipAnalyser(GEMINI_PCM, text);
    for (let at = 0; at < pcm.length; at += size) analyser.feed(pcm.subarray(at, at + size));
    assert.deepEqual(analyser.finish(), whole, `chunks of ${size}`);
  }
  assert.deepEqual(whole.reasons, ['inner_silence', 'abrupt_end', 'clipping']);
});

test('thresholds are data: overridden by TTS_QA_THRESHOLDS JSON, unknown names and bad values refused', async () => {
  const stall = mono(concat(sine(1.5), silence(2.5), spoken(1.5)));
  const text = textLasting(4);
  const thresholds = parseQaThresholds('{"maxInnerSilenceS": 3}');
  assert.equal(thresholds.maxInnerSilenceS, 3);
  assert.equal(thresholds.minDurationRatio, DEFAULT_QA_THRESHOLDS.minDurationRatio);
  assert.deepEqual((await analyseClip(stall, text, { thresholds })).reasons, []);
  assert.deepEqual(parseQaThresholds(undefined), DEFAULT_QA_THRESHOLDS);
  assert.throws(() => parseQaThresholds('{"maxInnerSilence": 3}'), /Unknown QA threshold `maxInnerSilence`/);
  assert.throws(() => parseQaThresholds('{"maxInnerSilenceS": -1}'), /maxInnerSilenceS.*>= 0.*-1/);
  assert.throws(() => parseQaThresholds('[1]'), /TTS_QA_THRESHOLDS/);
  assert.throws(() => qaThresholds({ silenceDbfs: 3 }), /silenceDbfs.*<= 0/);
  assert.equal(
    loadSettings({ TTS_QA_THRESHOLDS: '{"maxInnerSilenceS": 3}' }).qaThresholds.maxInnerSilenceS,
    3,
  );
  assert.deepEqual(loadSettings({}).qaThresholds, DEFAULT_QA_THRESHOLDS);
  assert.throws(
    () => loadSettings({ TTS_QA_THRESHOLDS: 'yes' }),
    (error: Error) => error.name === 'ConfigError' && /TTS_QA_THRESHOLDS/.test(error.message),
  );
});
