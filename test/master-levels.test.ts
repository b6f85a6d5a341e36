import assert from 'node:assert/strict';
import { test } from 'node:test';
import { acxReportCsv } from '../src/master/acx-report-csv.js';
import { acxReport, judgeFile } from '../src/master/acx-report.js';
import { gainForTarget } from '../src/master/master-file.js';
import type { Mp3Frames } from '../src/master/mp3-frames.js';
import { makeLevelMeter, type PcmLevels } from '../src/master/pcm-levels.js';

const RATE = 44_100;

/** Mono s16le PCM from a function of time (seconds) giving a value in [-1, 1]. */
function pcm(seconds: number, at: (t: number) => number): Buffer {
  const samples = Math.round(seconds * RATE);
  const out = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++)
    out.writeInt16LE(Math.round(Math.max(-1, Math.min(1, at(i / RATE))) * 32767), i * 2);
  return out;
}
const tone =
  (amplitude: number, hz = 440) =>
  (t: number) =>
    amplitude * Math.sin(2 * Math.PI * hz * t);
const silence = () => 0;
const db = (amplitude: number) => 20 * Math.log10(amplitude);

function measure(...parts: Buffer[]): PcmLevels {
  const meter = makeLevelMeter(RATE);
  for (const part of parts) meter.push(part);
  return meter.finish();
}

test('a sine: RMS is its amplitude over the square root of 2, its peak the amplitude (dBFS of a full-scale square)', () => {
  const levels = measure(pcm(2, tone(0.25)));
  assert.ok(Math.abs(levels.rmsDbfs - db(0.25 / Math.SQRT2)) < 0.01, String(levels.rmsDbfs));
  assert.ok(Math.abs(levels.peakDbfs - db(0.25)) < 0.01, String(levels.peakDbfs));
  assert.equal(levels.samples, 2 * RATE);
  assert.equal(levels.headRoomToneS, 0);
  assert.equal(levels.tailRoomToneS, 0);
});

test('room tone at the head and the tail is measured to the 10 ms block, quiet noise below the threshold included', () => {
  const hiss = (t: number) => 0.0005 * Math.sin(2 * Math.PI * 3000 * t); // -69 dBFS: room tone, not sound
  const levels = measure(pcm(0.6, hiss), pcm(2, tone(0.1)), pcm(1.5, silence));
  assert.ok(Math.abs(levels.headRoomToneS - 0.6) <= 0.01, String(levels.headRoomToneS));
  assert.ok(Math.abs(levels.tailRoomToneS - 1.5) <= 0.01, String(levels.tailRoomToneS));
  assert.ok(Math.abs(levels.soundStartSample - 0.6 * RATE) <= RATE / 100);
  assert.ok(Math.abs(levels.soundEndSample - 2.6 * RATE) <= RATE / 100);
});

test('the noise floor is the RMS of the quietest 500 ms, wherever it is; digital silence reads -150 dBFS', () => {
  const floor = measure(pcm(1, tone(0.1)), pcm(0.7, tone(0.001, 200)), pcm(1, tone(0.1)));
  assert.ok(Math.abs(floor.noiseFloorDbfs - db(0.001 / Math.SQRT2)) < 0.3, String(floor.noiseFloorDbfs));
  // A gap shorter than the window is averaged with the sound around it: no floor lower than the gap.
  const shortGap = measure(pcm(1, tone(0.1)), pcm(0.2, silence), pcm(1, tone(0.1)));
  assert.ok(shortGap.noiseFloorDbfs > -40, String(shortGap.noiseFloorDbfs));
  const dead = measure(pcm(1, tone(0.1)), pcm(0.8, silence), pcm(1, tone(0.1)));
  assert.equal(dead.noiseFloorDbfs, -150);
  const empty = measure(pcm(1, silence));
  assert.equal(empty.rmsDbfs, -150);
  assert.equal(empty.peakDbfs, -150);
  assert.equal(empty.headRoomToneS, 1);
});

test('chunks cut at any byte (odd ones included) measure the same as the whole', () => {
  const whole = Buffer.concat([pcm(0.55, silence), pcm(1.3, tone(0.3, 330)), pcm(1.1, silence)]);
  const expected = measure(whole);
  const chunks: Buffer[] = [];
  for (let at = 0, size = 1; at < whole.length; at += size, size = (size * 7 + 3) % 4099) {
    chunks.push(whole.subarray(at, at + size));
  }
  assert.deepEqual(measure(...chunks), expected);
});

test('the gain brings the whole file, room tone added, to the target RMS', () => {
  const levels = measure(pcm(0.3, silence), pcm(10, tone(0.05)), pcm(0.2, silence));
  const soundSamples = levels.soundEndSample - levels.soundStartSample;
  const meanSquare = (10 ** (levels.rmsDbfs / 10) * levels.samples) / soundSamples;
  const gainDb = gainForTarget(levels, meanSquare, -20);
  const outSamples = soundSamples + Math.round(3.25 * RATE);
  const outRms = 10 * Math.log10((meanSquare * 10 ** (gainDb / 10) * soundSamples) / outSamples);
  assert.ok(Math.abs(outRms - -20) < 1e-9);
  assert.ok(gainDb > 0);
});

const cbr: Mp3Frames = {
  frames: 100,
  bitratesKbps: new Map([[192, 100]]),
  sampleRatesHz: new Set([44_100]),
  channelModes: new Set(['mono']),
  tag: 'Info',
};

function levelsOf(overrides: Partial<PcmLevels>): PcmLevels {
  return {
    sampleRateHz: RATE,
    samples: 10 * RATE,
    durationS: 10,
    rmsDbfs: -20,
    peakDbfs: -4,
    noiseFloorDbfs: -150,
    headRoomToneS: 0.75,
    tailRoomToneS: 2.5,
    soundStartSample: 0.75 * RATE,
    soundEndSample: 7.5 * RATE,
    ...overrides,
  };
}

test('each criterion passes inside ACX bounds and fails outside, naming the value', () => {
  const good = judgeFile({ file: 'master/01-a.mp3', chapter: 1, title: 'A' }, levelsOf({}), cbr);
  assert.equal(good.pass, true);
  assert.deepEqual(good.failures, []);
  const bad = judgeFile(
    { file: 'master/02-b.mp3', chapter: 2, title: 'B, "quoted"' },
    levelsOf({
      rmsDbfs: -17.5,
      peakDbfs: -2.9,
      noiseFloorDbfs: -55,
      headRoomToneS: 0.4,
      tailRoomToneS: 5.2,
      durationS: 7300,
    }),
    {
      ...cbr,
      bitratesKbps: new Map([
        [192, 60],
        [128, 40],
      ]),
      sampleRatesHz: new Set([48_000]),
      tag: 'Xing',
    },
  );
  assert.equal(bad.pass, false);
  assert.deepEqual(bad.failures, [
    'rms -17.5 dBFS > -18',
    'peak -2.9 dBFS > -3',
    'noise_floor -55 dBFS > -60',
    'head_room_tone 0.4 s < 0.5',
    'tail_room_tone 5.2 s > 5',
    'bitrate 166.4 kbps < 192',
    'constant_bitrate: no',
    'sample_rate 48000 Hz > 44100',
    'length 7300 s > 7200',
  ]);
  // The bounds themselves pass.
  const edge = judgeFile(
    { file: 'x.mp3', chapter: 3, title: '' },
    levelsOf({ rmsDbfs: -23, peakDbfs: -3, noiseFloorDbfs: -60, headRoomToneS: 1, tailRoomToneS: 1 }),
    cbr,
  );
  assert.equal(edge.pass, true);

  const report = acxReport('book', [good, bad]);
  assert.equal(report.pass, false);
  const csv = acxReportCsv(report).split('\r\n');
  assert.equal(csv.length, 4);
  assert.match(csv[0] ?? '', /^file,chapter,title,duration_s,pass,rms,rms_pass,peak,peak_pass,/);
  assert.match(csv[1] ?? '', /^master\/01-a\.mp3,1,A,10,true,-20,true,-4,true,/);
  assert.match(csv[2] ?? '', /^master\/02-b\.mp3,2,"B, ""quoted""",7300,false,-17\.5,false,/);
  assert.equal(acxReport('empty', []).pass, false);
});
