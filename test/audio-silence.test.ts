import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_TRIM, planTrim, trimOptions } from '../src/audio/silence.js';
import { findSpeech, makeSpeechScanner, thresholdAmplitude } from '../src/audio/speech-scanner.js';

const RATE = 24_000;
const ms = (value: number): number => (value * RATE) / 1000;

/** `silenceMs`, then a tone of `toneMs` at `dbfs`, then `silenceMs` again, over an optional noise floor. */
function clip(parts: {
  before: number;
  tone: number;
  after: number;
  dbfs?: number;
  noiseDbfs?: number;
}): Int16Array {
  const total = ms(parts.before + parts.tone + parts.after);
  const pcm = new Int16Array(total);
  const peak = 32768 * 10 ** ((parts.dbfs ?? -12) / 20);
  const noise = parts.noiseDbfs === undefined ? 0 : 32768 * 10 ** (parts.noiseDbfs / 20);
  let seed = 12345;
  for (let i = 0; i < total; i += 1) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const floor = noise * ((seed / 2 ** 31) * 2 - 1);
    const inTone = i >= ms(parts.before) && i < ms(parts.before + parts.tone);
    pcm[i] = Math.round(floor + (inTone ? peak * Math.sin((2 * Math.PI * 220 * i) / RATE) : 0));
  }
  return pcm;
}

test('the threshold is -50 dBFS by default: about 104 of 32768', () => {
  assert.equal(DEFAULT_TRIM.thresholdDbfs, -50);
  assert.equal(DEFAULT_TRIM.padMs, 120);
  assert.equal(thresholdAmplitude(-50), 104);
});

test('a tone between silences: speech found within a zero crossing of its edges', () => {
  const span = findSpeech(clip({ before: 300, tone: 1000, after: 500 }), RATE);
  assert.ok(span !== undefined);
  // A 220 Hz sine is below 104/8231 of its peak for a few samples around each crossing.
  assert.ok(span.first >= ms(300) && span.first <= ms(300) + 3, `first ${span.first}`);
  assert.ok(span.last < ms(1300) && span.last >= ms(1300) - 3, `last ${span.last}`);
});

test('pure silence and a noise floor under the threshold hold no speech', () => {
  assert.equal(findSpeech(new Int16Array(ms(500)), RATE), undefined);
  assert.equal(findSpeech(clip({ before: 500, tone: 0, after: 0, noiseDbfs: -60 }), RATE), undefined);
  const plan = planTrim(clip({ before: 500, tone: 0, after: 0, noiseDbfs: -60 }), RATE);
  assert.deepEqual(plan, { lead: 0, start: 0, end: ms(500), tail: 0, frames: ms(500), speech: undefined });
});

test('a click is not speech: the hold needs half of 20 ms loud', () => {
  const pcm = clip({ before: 400, tone: 600, after: 400, noiseDbfs: -60 });
  pcm[ms(100)] = 20_000;
  pcm[ms(100) + 1] = -18_000;
  for (let i = 0; i < ms(3); i += 1) pcm[ms(1300) + i] = i % 2 === 0 ? 9000 : -9000; // a 3 ms burst after
  const span = findSpeech(pcm, RATE);
  assert.ok(span !== undefined);
  assert.ok(span.first >= ms(400) && span.first <= ms(400) + 3, `first ${span.first}`);
  assert.ok(span.last < ms(1000) && span.last >= ms(1000) - 3, `last ${span.last}`);
  // The same click alone is no speech at all.
  const alone = new Int16Array(ms(300));
  alone[ms(150)] = 30_000;
  assert.equal(findSpeech(alone, RATE), undefined);
});

test('a quiet tone over the noise floor is speech; one under the threshold is not', () => {
  assert.ok(findSpeech(clip({ before: 200, tone: 300, after: 200, dbfs: -40, noiseDbfs: -65 }), RATE));
  assert.equal(findSpeech(clip({ before: 200, tone: 300, after: 200, dbfs: -55 }), RATE), undefined);
});

test('trimming keeps exactly the pad at each end: cut where there is more, zeros added where less', () => {
  const long = planTrim(clip({ before: 700, tone: 1000, after: 900 }), RATE);
  assert.ok(long.speech !== undefined);
  assert.equal(long.lead, 0);
  assert.equal(long.tail, 0);
  assert.equal(long.start, long.speech.first - ms(120));
  assert.equal(long.end, long.speech.last + 1 + ms(120));
  assert.equal(long.frames, long.end - long.start);

  const short = planTrim(clip({ before: 50, tone: 1000, after: 20 }), RATE);
  assert.ok(short.speech !== undefined);
  assert.equal(short.start, 0);
  assert.equal(short.end, ms(1070));
  assert.equal(short.lead, ms(120) - short.speech.first);
  assert.equal(short.tail, ms(120) - (ms(1070) - short.speech.last - 1));
  for (const plan of [long, short]) {
    assert.ok(plan.speech !== undefined);
    assert.equal(plan.frames, plan.speech.last - plan.speech.first + 1 + 2 * ms(120));
  }
});

test('a custom pad and interleaved stereo: a frame is loud when either channel is', () => {
  const mono = clip({ before: 300, tone: 500, after: 300 });
  const stereo = new Int16Array(mono.length * 2);
  mono.forEach((value, i) => (stereo[i * 2 + 1] = value)); // the left channel silent
  const plan = planTrim(stereo, RATE, 2, { ...DEFAULT_TRIM, padMs: 40 });
  const monoPlan = planTrim(mono, RATE, 1, { ...DEFAULT_TRIM, padMs: 40 });
  assert.deepEqual(plan, monoPlan);
  assert.ok(plan.speech !== undefined);
  assert.equal(plan.frames, plan.speech.last - plan.speech.first + 1 + ms(80));
});

test('trim options: defaults filled in, nonsense named', () => {
  assert.deepEqual(trimOptions({ padMs: 40 }), { ...DEFAULT_TRIM, padMs: 40 });
  assert.throws(() => trimOptions({ padMs: -1 }), /`padMs` to be a finite number >= 0, got `-1`/);
  assert.throws(() => trimOptions({ holdMs: Number.NaN }), /`holdMs`/);
  assert.throws(
    () => trimOptions({ thresholdDbfs: 3 }),
    /`thresholdDbfs` to be a finite number <= 0, got `3`/,
  );
});

test('the scanner fed in chunks of any size finds what it finds in one piece', () => {
  const pcm = clip({ before: 250, tone: 700, after: 330, dbfs: -35, noiseDbfs: -62 });
  pcm[ms(40)] = 25_000; // a click before the speech
  const whole = findSpeech(pcm, RATE);
  assert.ok(whole !== undefined);
  for (const size of [1, 7, 479, 480, 481, 100_000]) {
    const scanner = makeSpeechScanner(RATE, 1, DEFAULT_TRIM);
    for (let at = 0; at < pcm.length; at += size) scanner.feed(pcm.subarray(at, at + size));
    assert.deepEqual(scanner.finish(), whole, `chunks of ${size}`);
  }
  // Speech ending within the last hold: the windows cut short by the end still count.
  const late = clip({ before: 300, tone: 15, after: 0 });
  assert.deepEqual(findSpeech(late, RATE), { first: ms(300) + 1, last: ms(315) - 1 });
  assert.throws(() => makeSpeechScanner(RATE, 2, DEFAULT_TRIM).feed(new Int16Array(3)), /whole frames of 2/);
});
