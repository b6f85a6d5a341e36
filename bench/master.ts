import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { locateFfmpeg } from '../src/audio/ffmpeg-locate.js';
import { masterChapters } from '../src/master/master-chapters.js';
import { log, round, seededRandom, type ScenarioResult } from './common.js';
import { wavHeader } from '../src/segmind/audio.js';

const RATE = 24_000;
/** An hour of narration: 6 chapters of 10 minutes (quick: one chapter). */
const CHAPTERS = Number(process.env['BENCH_MASTER_CHAPTERS'] ?? 6);
const CHAPTER_MIN = Number(process.env['BENCH_MASTER_CHAPTER_MIN'] ?? 10);

/**
 * Speech-like PCM as the assembly's chapter WAVs hold it: syllables of 120-320 ms (a voiced tone
 * with harmonics under an envelope), one in six a pause of digital silence, as TTS leaves them;
 * 0.3 s of silence at each end, which mastering replaces with ACX's room tone.
 */
function speechLike(samples: number, seed: number): Buffer {
  const next = seededRandom(seed);
  const pcm = Buffer.alloc(samples * 2);
  const edge = Math.round(0.3 * RATE);
  for (let at = edge; at < samples - edge;) {
    const length = Math.floor((0.12 + next() * 0.2) * RATE);
    const voiced = next() > 1 / 6;
    const f0 = 90 + next() * 170;
    const amplitude = 2000 + next() * 6000;
    for (let i = 0; i < length && at < samples - edge; i += 1, at += 1) {
      if (!voiced) continue;
      const phase = (2 * Math.PI * f0 * i) / RATE;
      const tone = Math.sin(phase) + 0.5 * Math.sin(2 * phase) + 0.3 * Math.sin(3 * phase);
      const value = amplitude * Math.sin((Math.PI * i) / length) * tone * 0.5;
      pcm.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(value))), at * 2);
    }
  }
  return pcm;
}

/**
 * ACX mastering of an hour of chapter WAVs, exactly as the book job runs it (`masterChapters`:
 * a measuring decode, the encode, a decode of the MP3 measured for the report, per chapter, one
 * chapter at a time): wall-clock time, as a multiple of real time, and the report's verdict.
 */
export async function benchMaster(quick: boolean): Promise<ScenarioResult> {
  const ffmpeg = await locateFfmpeg({
    configuredPath: process.env['TTS_FFMPEG'],
    searchPath: process.env['PATH'],
  });
  if (ffmpeg === undefined) throw new Error('bench master: needs ffmpeg (TTS_FFMPEG or on PATH)');
  const count = quick ? 1 : CHAPTERS;
  const dir = await mkdtemp(join(tmpdir(), 'bench-master-'));
  try {
    const take = speechLike(CHAPTER_MIN * 60 * RATE, 5);
    const chapters = [];
    for (let index = 1; index <= count; index += 1) {
      const file = join(dir, `${String(index).padStart(2, '0')}-chapter.wav`);
      const out = createWriteStream(file);
      out.write(wavHeader(take.length, RATE));
      out.end(take);
      await finished(out);
      chapters.push({ index, title: `Chapter ${index}`, file });
    }
    const audioS = count * CHAPTER_MIN * 60;
    const load = round(loadavg()[0] ?? 0, 1);
    log(`master: ${count} chapters, ${round(audioS / 60, 1)} min of audio (load ${load})`);
    const startedAt = performance.now();
    const mastered = await masterChapters(ffmpeg.path, { run: 'bench', outDir: dir, chapters });
    const wallS = (performance.now() - startedAt) / 1000;
    await mastered.place();
    const encodes = mastered.files.reduce((sum, file) => sum + file.encodes, 0);
    const perHourS = (wallS * 3600) / audioS;
    log(
      `master: ${round(wallS, 1)} s, ${encodes} encodes, report ${mastered.report.pass ? 'passes' : 'FAILS'}`,
    );
    const failures = mastered.report.files.flatMap((file) => file.failures);
    return {
      figures: {
        'master.audio_min': round(audioS / 60, 1),
        'master.chapters': count,
        'master.wall_s': round(wallS, 1),
        'master.wall_s_per_audio_hour': round(perHourS, 1),
        'master.times_real_time': round(audioS / wallS, 1),
        'master.encodes': encodes,
        'master.acx_pass': mastered.report.pass ? 'pass' : 'fail',
        'master.rms_dbfs': mastered.report.files.map(
          (file) => (file.criteria?.rms.value as number | undefined) ?? null,
        ),
        'master.peak_dbfs': mastered.report.files.map(
          (file) => (file.criteria?.peak.value as number | undefined) ?? null,
        ),
        'master.load_1min': load,
        'master.ffmpeg': ffmpeg.version,
      },
      rows: [
        {
          scenario: 'master',
          measure: `ACX mastering of ${round(audioS / 60, 1)} min (${count} chapter WAVs): wall-clock time`,
          value: `${round(wallS, 1)} s (${round(audioS / wallS, 1)}x real time; ${round(perHourS, 1)} s per audio hour)`,
          goal: 'recorded (issue 14)',
          met: undefined,
        },
        {
          scenario: 'master',
          measure: 'acx-report.json on the masters written',
          value: mastered.report.pass
            ? `passes on all ${count} files (${encodes} encodes)`
            : `fails: ${failures.join('; ')}`,
          goal: 'every file passes',
          met: mastered.report.pass,
        },
      ],
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
