import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { locateFfmpeg } from '../src/audio/ffmpeg-locate.js';
import { readBackM4b } from '../src/audio/m4b-read-back.js';
import { log, round, type ScenarioResult } from './common.js';
import { runWithTreeRss, type TreeRun } from './process-tree-rss.js';

const RATE = 24_000;
/** A 10-hour book: 60 chapters of 10 minutes (1.73 GB of 16-bit mono PCM at 24 kHz). */
const CHAPTERS = Number(process.env['BENCH_M4B_CHAPTERS'] ?? 60);
const CHAPTER_MIN = Number(process.env['BENCH_M4B_CHAPTER_MIN'] ?? 10);
const QUICK_CHAPTERS = 6;
/** Runs of each command, alternated (ours, concat, ours, concat) so that load drift hits both alike. */
const REPEATS = Number(process.env['BENCH_M4B_REPEATS'] ?? 2);
const GAP_MS = 1500;
const BITRATE = '64k';

/** A seeded generator: every run encodes the same audio. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * Speech-like PCM (what the encoder's speed depends on): "syllables" of 120-320 ms, each a
 * voiced tone at 90-260 Hz with three harmonics under a smooth envelope, one in six a pause,
 * over faint noise. Silence or a pure tone would encode faster than a narrator.
 */
function speechLike(samples: number, seed: number): Buffer {
  const next = random(seed);
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

function wavHeader(dataBytes: number): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(RATE, 24);
  header.writeUInt32LE(RATE * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(dataBytes, 40);
  return header;
}

/**
 * The chapter WAVs, each `CHAPTER_MIN` minutes less a few hundred samples (odd lengths, as
 * trimmed TTS audio has), their audio cut from one generated 10-minute take (the encoder's work
 * per second is what counts, not that chapters differ).
 */
async function writeChapters(dir: string, count: number): Promise<{ title: string; file: string }[]> {
  const full = CHAPTER_MIN * 60 * RATE;
  const take = speechLike(full, 11);
  const chapters: { title: string; file: string }[] = [];
  for (let index = 0; index < count; index += 1) {
    const samples = full - ((index * 7919) % 997);
    const file = join(dir, `${String(index + 1).padStart(3, '0')}.wav`);
    const out = createWriteStream(file);
    out.write(wavHeader(samples * 2));
    out.end(take.subarray(0, samples * 2));
    await finished(out);
    chapters.push({ title: `Chapter ${index + 1}`, file });
  }
  return chapters;
}

type Measured = { readonly ours: TreeRun[]; readonly concat: TreeRun[] };

function failed(run: TreeRun, what: string): never {
  throw new Error(`bench m4b: ${what} exited ${run.code}: ${run.stderr.slice(-2000)}`);
}

/**
 * The audiobook's assembly and encoding: `encodeM4b` (chapter WAVs and gaps streamed through
 * ffmpeg's stdin, the file read back and checked) against `ffmpeg -f concat -i list.txt -c:a aac`
 * of the same WAVs, alternated in the same run; wall time and peak RSS of each (the node process
 * and its ffmpeg separately).
 */
export async function benchM4b(quick: boolean): Promise<ScenarioResult> {
  const ffmpeg = await locateFfmpeg({
    configuredPath: process.env['TTS_FFMPEG'],
    searchPath: process.env['PATH'],
  });
  if (ffmpeg === undefined) throw new Error('bench m4b: needs ffmpeg (TTS_FFMPEG or on PATH)');
  const count = quick ? QUICK_CHAPTERS : CHAPTERS;
  const dir = await mkdtemp(join(tmpdir(), 'bench-m4b-'));
  try {
    const startedAt = performance.now();
    const chapters = await writeChapters(dir, count);
    const wavBytes = (await Promise.all(chapters.map((chapter) => stat(chapter.file)))).reduce(
      (sum, s) => sum + s.size,
      0,
    );
    log(
      `m4b: ${count} chapter WAVs, ${round(wavBytes / 1e9, 2)} GB, written in ${round((performance.now() - startedAt) / 1000, 1)} s`,
    );
    const ourInput = join(dir, 'input.json');
    const ourOut = join(dir, 'ours.m4b');
    await writeFile(
      ourInput,
      JSON.stringify({
        chapters,
        gapMs: GAP_MS,
        out: ourOut,
        tags: { title: 'Bench Book', author: 'Bench' },
      }),
    );
    const list = join(dir, 'list.txt');
    await writeFile(list, chapters.map((chapter) => `file '${chapter.file}'`).join('\n') + '\n');
    const concatOut = join(dir, 'concat.m4b');
    const measured: Measured = { ours: [], concat: [] };
    for (let repeat = 0; repeat < REPEATS; repeat += 1) {
      log(`m4b: encodeM4b run ${repeat + 1}/${REPEATS} (load ${round(loadavg()[0]!, 1)})`);
      const ours = await runWithTreeRss(process.execPath, [
        '--import',
        'tsx',
        'bench/m4b-encode-child.ts',
        ffmpeg.path,
        ourInput,
      ]);
      if (ours.code !== 0) failed(ours, 'encodeM4b');
      measured.ours.push(ours);
      log(
        `m4b: encodeM4b ${round(ours.elapsedMs / 1000, 1)} s (CPU ${round(ours.cpuS ?? NaN, 1)} s), ${JSON.stringify(ours.peakRssMbByName)}; ${ours.stdout.trim()}`,
      );
      log(`m4b: ffmpeg -f concat run ${repeat + 1}/${REPEATS} (load ${round(loadavg()[0]!, 1)})`);
      const concat = await runWithTreeRss(ffmpeg.path, [
        ...['-hide_banner', '-nostats', '-v', 'error', '-f', 'concat', '-safe', '0', '-i', list],
        ...['-c:a', 'aac', '-b:a', BITRATE, '-y', concatOut],
      ]);
      if (concat.code !== 0) failed(concat, 'ffmpeg -f concat');
      measured.concat.push(concat);
      log(
        `m4b: concat ${round(concat.elapsedMs / 1000, 1)} s (CPU ${round(concat.cpuS ?? NaN, 1)} s), ${JSON.stringify(concat.peakRssMbByName)}`,
      );
    }
    const ourRead = await readBackM4b(ffmpeg.path, ourOut);
    return report(measured, {
      count,
      wavBytes,
      ffmpegVersion: ffmpeg.version,
      chapterMarks: ourRead.chapters.length,
      ourBytes: (await stat(ourOut)).size,
      concatBytes: (await stat(concatOut)).size,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function report(
  measured: Measured,
  about: {
    count: number;
    wavBytes: number;
    ffmpegVersion: string;
    chapterMarks: number;
    ourBytes: number;
    concatBytes: number;
  },
): ScenarioResult {
  const oursS = measured.ours.map((run) => run.elapsedMs / 1000);
  const concatS = measured.concat.map((run) => run.elapsedMs / 1000);
  const ratio = Math.min(...oursS) / Math.min(...concatS);
  const cpu = (runs: readonly TreeRun[]) => runs.map((run) => run.cpuS ?? NaN);
  const oursCpuS = cpu(measured.ours);
  const concatCpuS = cpu(measured.concat);
  const cpuRatio = Math.min(...oursCpuS) / Math.min(...concatCpuS);
  const peak = (runs: readonly TreeRun[], name: string) =>
    Math.max(...runs.map((run) => run.peakRssMbByName[name] ?? 0));
  const nodeMb = peak(measured.ours, 'node');
  const ourFfmpegMb = peak(measured.ours, 'ffmpeg');
  const concatMb = peak(measured.concat, 'ffmpeg');
  const hours = round((about.count * CHAPTER_MIN) / 60, 2);
  const loads = [...measured.ours, ...measured.concat].flatMap((run) => run.load);
  const load = `${round(Math.min(...loads), 1)}-${round(Math.max(...loads), 1)}`;
  return {
    figures: {
      'm4b.hours': hours,
      'm4b.chapters': about.count,
      'm4b.wav_gb': round(about.wavBytes / 1e9, 3),
      'm4b.encode_s': oursS.map((s) => round(s, 1)),
      'm4b.concat_s': concatS.map((s) => round(s, 1)),
      'm4b.time_ratio': round(ratio, 3),
      'm4b.encode_cpu_s': oursCpuS.map((s) => round(s, 1)),
      'm4b.concat_cpu_s': concatCpuS.map((s) => round(s, 1)),
      'm4b.cpu_ratio': round(cpuRatio, 3),
      'm4b.node_peak_rss_mb': nodeMb,
      'm4b.encode_ffmpeg_peak_rss_mb': ourFfmpegMb,
      'm4b.concat_ffmpeg_peak_rss_mb': concatMb,
      'm4b.tree_peak_rss_mb': Math.max(...measured.ours.map((run) => run.peakTreeRssMb)),
      'm4b.out_mb': round(about.ourBytes / 2 ** 20, 1),
      'm4b.concat_out_mb': round(about.concatBytes / 2 ** 20, 1),
      'm4b.chapter_marks': about.chapterMarks,
      'm4b.load_1min': load,
      'm4b.ffmpeg': about.ffmpegVersion,
    },
    rows: [
      {
        scenario: 'm4b',
        measure: `${hours} h book (${about.count} WAVs, ${round(about.wavBytes / 1e9, 2)} GB): encodeM4b wall time (gaps, chapters, tags, read-back check)`,
        value: `${oursS.map((s) => round(s, 1)).join(', ')} s`,
        goal: '',
        met: undefined,
      },
      {
        scenario: 'm4b',
        measure: `\`ffmpeg -f concat -i list.txt -c:a aac -b:a ${BITRATE}\` of the same WAVs, same run`,
        value: `${concatS.map((s) => round(s, 1)).join(', ')} s`,
        goal: '',
        met: undefined,
      },
      {
        scenario: 'm4b',
        measure: 'time ratio encodeM4b ÷ concat (best of each)',
        value: `${round(ratio, 2)}`,
        goal: 'close to 1',
        met: undefined,
      },
      {
        scenario: 'm4b',
        measure: 'CPU (user + system, every process): encodeM4b; concat',
        value: `${oursCpuS.map((s) => round(s, 1)).join(', ')} s; ${concatCpuS.map((s) => round(s, 1)).join(', ')} s`,
        goal: '',
        met: undefined,
      },
      {
        scenario: 'm4b',
        measure: 'CPU ratio encodeM4b ÷ concat (best of each)',
        value: `${round(cpuRatio, 2)}`,
        goal: 'close to 1',
        met: undefined,
      },
      {
        scenario: 'm4b',
        measure: 'peak RSS: encodeM4b node process; its ffmpeg; concat ffmpeg',
        value: `${nodeMb} MB; ${ourFfmpegMb} MB; ${concatMb} MB`,
        goal: 'flat (not growing with the book)',
        met: undefined,
      },
      {
        scenario: 'm4b',
        measure: `chapter marks read back; m4b size (ours, concat); ffmpeg ${about.ffmpegVersion}; load (1 min)`,
        value: `${about.chapterMarks}; ${round(about.ourBytes / 2 ** 20, 1)} MB, ${round(about.concatBytes / 2 ** 20, 1)} MB; ${load}`,
        goal: '',
        met: undefined,
      },
    ],
  };
}
