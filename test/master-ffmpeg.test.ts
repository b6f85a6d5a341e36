import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { ACX_SPEC } from '../src/master/acx-spec.js';
import { judgeFile, type AcxReport } from '../src/master/acx-report.js';
import { MASTER_DIR, masterChapters } from '../src/master/master-chapters.js';
import { measureMp3, type MeasuredFile } from '../src/master/measure-file.js';
import { masterFile } from '../src/master/master-file.js';
import { FFMPEG } from './helpers/assembly.js';
import { ffmpegLevels } from './helpers/ffmpeg-levels.js';
import { WAV_HEADER_BYTES, wavHeader } from '../src/segmind/audio.js';

const run = promisify(execFile);
const skip = existsSync(FFMPEG) ? false : `no ffmpeg at ${FFMPEG}`;
const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tts-master-'));
  dirs.push(dir);
  return dir;
}

/** A mono 16-bit WAV at `rate` from a function of time giving values in [-1, 1]. */
function wav(rate: number, seconds: number, at: (t: number) => number): Buffer {
  const samples = Math.round(seconds * rate);
  const out = Buffer.alloc(WAV_HEADER_BYTES + samples * 2);
  wavHeader(samples * 2, rate).copy(out);
  for (let i = 0; i < samples; i++) {
    out.writeInt16LE(Math.round(Math.max(-1, Math.min(1, at(i / rate))) * 32767), WAV_HEADER_BYTES + i * 2);
  }
  return out;
}

/**
 * Speech-like and hard to master: 370 ms "words" (a quiet gliding tone) each opened by a loud
 * 3 ms click, so that reaching -20 dBFS RMS drives the clicks far past the ACX peak bound: only
 * the limiter keeps them under it. Clean digital silence around, as TTS makes.
 */
function clickyWords(t: number): number {
  if (t < 0.4 || t > 8.4) return 0;
  const inWord = (t - 0.4) % 0.37;
  if (inWord > 0.25) return 0;
  const click = inWord < 0.003 ? 0.9 * Math.sin(2 * Math.PI * 900 * inWord) : 0;
  return click + 0.06 * Math.sin(2 * Math.PI * (180 + 40 * inWord) * t);
}

/** Asserts the project's measurement of a written file agrees with ffmpeg's own filters on the same file. */
async function assertAgrees(file: string, measured: MeasuredFile, roomTone = true): Promise<void> {
  const ffmpeg = await ffmpegLevels(FFMPEG, file, measured.levels.sampleRateHz);
  const near = (ours: number, theirs: number, label: string, within = 0.5) =>
    assert.ok(Math.abs(ours - theirs) <= within, `${label}: ours ${ours}, ffmpeg ${theirs}`);
  near(measured.levels.rmsDbfs, ffmpeg.astatsRmsDbfs, 'RMS vs astats');
  near(measured.levels.peakDbfs, ffmpeg.astatsPeakDbfs, 'peak vs astats');
  near(measured.levels.peakDbfs, ffmpeg.ebur128SamplePeakDbfs, 'peak vs ebur128 sample peak', 0.1 + 0.05);
  if (Number.isFinite(ffmpeg.quietestWindowDbfs)) {
    // astats' windows are 500 ms apart, ours slide 10 ms at a time: ours may find a quieter one.
    assert.ok(measured.levels.noiseFloorDbfs <= ffmpeg.quietestWindowDbfs + 0.5, 'floor vs astats windows');
    near(measured.levels.noiseFloorDbfs, ffmpeg.quietestWindowDbfs, 'floor vs astats windows', 3);
  } else {
    assert.equal(measured.levels.noiseFloorDbfs, -150, 'digital silence: ffmpeg -inf, ours -150');
  }
  near(measured.levels.durationS, ffmpeg.durationS, 'decoded length', 0.001);
  // silencedetect judges each sample's amplitude, ours 10 ms blocks' RMS: they agree on clean room tone only.
  if (!roomTone) return;
  near(measured.levels.headRoomToneS, ffmpeg.headSilenceS, 'head room tone vs silencedetect', 0.02);
  near(measured.levels.tailRoomToneS, ffmpeg.tailSilenceS, 'tail room tone vs silencedetect', 0.02);
}

test(
  'a clicky 24 kHz WAV is mastered to an ACX MP3: levelled, limited, framed in room tone, 192 kbps CBR at 44.1 kHz; ffmpeg agrees',
  { skip },
  async () => {
    const dir = await tempDir();
    const source = join(dir, 'clicky.wav');
    await writeFile(source, wav(24_000, 8.7, clickyWords));
    const out = join(dir, 'clicky.mp3');
    const mastered = await masterFile(FFMPEG, source, out);

    // Without the limiter the clicks would reach about 0 dBFS at this gain.
    assert.ok(mastered.gainDb > 6, `gain ${mastered.gainDb}`);
    const report = judgeFile(
      { file: 'clicky.mp3', chapter: 1, title: 'Clicks' },
      mastered.levels,
      mastered.frames,
    );
    assert.deepEqual(report.failures, []);
    assert.ok(Math.abs(mastered.levels.rmsDbfs - -20) <= 0.5, String(mastered.levels.rmsDbfs));
    assert.ok(mastered.levels.headRoomToneS >= 0.74 && mastered.levels.headRoomToneS <= 0.77);
    assert.ok(mastered.levels.tailRoomToneS >= 2.4 && mastered.levels.tailRoomToneS <= 2.6);

    // Measured again from scratch, the file reads the same as the mastering's own last measurement.
    assert.deepEqual(await measureMp3(FFMPEG, out), { levels: mastered.levels, frames: mastered.frames });
    await assertAgrees(out, mastered);

    const probe = await run('ffprobe', [
      ...['-v', 'error', '-select_streams', 'a:0'],
      ...['-show_entries', 'stream=codec_name,sample_rate,channels,bit_rate', '-of', 'json', out],
    ]);
    const stream = (JSON.parse(probe.stdout) as { streams: Record<string, unknown>[] }).streams[0];
    assert.deepEqual(stream, { codec_name: 'mp3', sample_rate: '44100', channels: 1, bit_rate: '192000' });
    assert.deepEqual([...mastered.frames.bitratesKbps.keys()], [ACX_SPEC.bitrateKbps]);
    assert.equal(mastered.frames.tag, 'Info');
  },
);

test(
  'a file with a room-noise floor and a VBR encode: the measurement agrees with ffmpeg, and the report fails what ACX refuses',
  { skip },
  async () => {
    const dir = await tempDir();
    let seed = 7;
    const noise = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 30 - 1;
    };
    const source = join(dir, 'noisy.wav');
    // Noise at about -59 dBFS RMS (peaks under -50 dBFS) throughout, speech-like tones over it for 3 s in the middle.
    await writeFile(
      source,
      wav(44_100, 5, (t) => 0.002 * noise() + (t > 1 && t < 4 ? 0.2 * Math.sin(2 * Math.PI * 220 * t) : 0)),
    );
    const out = join(dir, 'noisy.mp3');
    await run(FFMPEG, ['-v', 'error', '-i', source, '-c:a', 'libmp3lame', '-q:a', '2', '-ar', '44100', out]);
    const measured = await measureMp3(FFMPEG, out);
    await assertAgrees(out, measured, false);
    const report = judgeFile({ file: 'noisy.mp3', chapter: 1, title: '' }, measured.levels, measured.frames);
    assert.equal(report.criteria.noise_floor.pass, false, JSON.stringify(report.criteria.noise_floor));
    assert.equal(report.criteria.constant_bitrate.pass, false);
    assert.equal(report.pass, false);
  },
);

test(
  'a chapter that cannot be mastered (all silence) fails in the report with the reason, the others are mastered, and old masters are removed',
  { skip },
  async () => {
    const dir = await tempDir();
    const chaptersDir = join(dir, 'chapters');
    await mkdir(chaptersDir, { recursive: true });
    await mkdir(join(dir, MASTER_DIR), { recursive: true });
    const words = join(chaptersDir, '01-words.wav');
    const silent = join(chaptersDir, '02-silent.wav');
    await writeFile(words, wav(24_000, 8.7, clickyWords));
    await writeFile(
      silent,
      wav(24_000, 3, () => 0),
    );
    // A master of an earlier version of chapter 2: it must not stay beside a report that fails it.
    await writeFile(join(dir, MASTER_DIR, '02-silent.mp3'), 'old');
    // And the master of a chapter the book no longer has.
    await writeFile(join(dir, MASTER_DIR, '03-gone.mp3'), 'old');
    const mastered = await masterChapters(FFMPEG, {
      run: 'book',
      outDir: dir,
      chapters: [
        { index: 1, title: 'Words', file: words },
        { index: 2, title: 'Silent', file: silent },
      ],
    });
    assert.equal(mastered.files.length, 1);
    await mastered.place();
    const report = JSON.parse(await readFile(join(dir, 'acx-report.json'), 'utf8')) as AcxReport;
    assert.equal(report.pass, false);
    assert.deepEqual(
      report.files.map((file) => [file.file, file.pass, file.criteria === null, file.failures]),
      [
        ['master/01-words.mp3', true, false, []],
        ['master/02-silent.mp3', false, true, [`not mastered: ${silent}: no sound above -50 dBFS to master`]],
      ],
    );
    assert.deepEqual(await readdir(join(dir, MASTER_DIR)), ['01-words.mp3']);
    const csv = (await readFile(join(dir, 'acx-report.csv'), 'utf8')).split('\r\n');
    assert.match(csv[2] ?? '', /^master\/02-silent\.mp3,2,Silent,0,false,,false,/);
    // The file in place is the one the report measured.
    const again = await measureMp3(FFMPEG, join(dir, MASTER_DIR, '01-words.mp3'));
    assert.deepEqual(again.levels, mastered.files[0]?.levels);
  },
);
