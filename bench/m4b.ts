import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { locateFfmpeg } from '../src/audio/ffmpeg-locate.js';
import { readBackM4b } from '../src/audio/m4b-read-back.js';
import { log, round, type ScenarioResult } from './common.js';
import { writeChapterWavs } from './m4b-chapters.js';
import { runWithTreeRss, type TreeRun } from './process-tree-rss.js';

/** A 10-hour book: 60 chapters of 10 minutes (1.73 GB of 16-bit mono PCM at 24 kHz). */
const CHAPTERS = Number(process.env['BENCH_M4B_CHAPTERS'] ?? 60);
const CHAPTER_MIN = Number(process.env['BENCH_M4B_CHAPTER_MIN'] ?? 10);
const QUICK_CHAPTERS = 6;
/** Runs of each command, alternated (ours, concat, ours, concat) so that load drift hits both alike. */
const REPEATS = Number(process.env['BENCH_M4B_REPEATS'] ?? 2);
const GAP_MS = 1500;
const BITRATE = '64k';

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
    const chapters = await writeChapterWavs(dir, count, CHAPTER_MIN);
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
