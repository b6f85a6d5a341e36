import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { AcxFileReport } from '../../src/master/acx-report.js';

const run = promisify(execFile);

/** ffmpeg's own measurement of a file (its filters, not this project's code), in dBFS and seconds. */
export type FfmpegLevels = {
  /** astats, overall: RMS level and peak level. */
  readonly astatsRmsDbfs: number;
  readonly astatsPeakDbfs: number;
  /** ebur128 with peak=sample: the sample peak; and its integrated loudness, for information. */
  readonly ebur128SamplePeakDbfs: number;
  readonly ebur128IntegratedLufs: number;
  /** astats RMS of each 500 ms window (asetnsamples), the lowest. */
  readonly quietestWindowDbfs: number;
  /** silencedetect at -50 dB: the silence at the start and at the end. */
  readonly headSilenceS: number;
  readonly tailSilenceS: number;
  readonly durationS: number;
};

const dbfs = (text: string | undefined) =>
  text === undefined ? Number.NaN : /^-?inf$/i.test(text) ? Number.NEGATIVE_INFINITY : Number(text);

async function stderrOf(ffmpeg: string, file: string, filter: string): Promise<string> {
  const { stderr } = await run(
    ffmpeg,
    ['-hide_banner', '-nostats', '-i', file, '-af', filter, '-f', 'null', '-'],
    { maxBuffer: 64 << 20 },
  );
  return stderr;
}

async function stdoutOf(ffmpeg: string, file: string, filter: string): Promise<string> {
  const { stdout } = await run(
    ffmpeg,
    ['-hide_banner', '-nostats', '-v', 'error', '-i', file, '-af', filter, '-f', 'null', '-'],
    { maxBuffer: 64 << 20 },
  );
  return stdout;
}

export async function ffmpegLevels(
  ffmpeg: string,
  file: string,
  sampleRateHz: number,
): Promise<FfmpegLevels> {
  const astats = await stderrOf(ffmpeg, file, 'astats=measure_perchannel=none');
  const ebur = await stderrOf(ffmpeg, file, 'ebur128=peak=sample');
  const windows = await stdoutOf(
    ffmpeg,
    file,
    `asetnsamples=n=${sampleRateHz / 2}:p=0,astats=metadata=1:reset=1:measure_perchannel=none,ametadata=mode=print:key=lavfi.astats.Overall.RMS_level:file=-`,
  );
  const silence = await stderrOf(ffmpeg, file, 'silencedetect=noise=-50dB:d=0.2');
  const samples = Number(/Number of samples: (\d+)/.exec(astats)?.[1]);
  const durationS = samples / sampleRateHz;
  const starts = [...silence.matchAll(/silence_start: (-?[\d.e-]+)/g)].map((m) => Number(m[1]));
  const ends = [...silence.matchAll(/silence_end: ([\d.e-]+)/g)].map((m) => Number(m[1]));
  const lastStart = starts.at(-1) ?? Number.NaN;
  // A silence running to the end is reported with an end at the end of the stream, or with none.
  const lastEnd = ends.length === starts.length ? (ends.at(-1) ?? Number.NaN) : durationS;
  const windowLevels = [...windows.matchAll(/RMS_level=(\S+)/g)].map((m) => dbfs(m[1]));
  // The last window is a remainder shorter than 500 ms: left out, as the project's meter does.
  const whole = windowLevels.length > 1 ? windowLevels.slice(0, -1) : windowLevels;
  return {
    astatsRmsDbfs: dbfs(/RMS level dB: (\S+)/.exec(astats)?.[1]),
    astatsPeakDbfs: dbfs(/Peak level dB: (\S+)/.exec(astats)?.[1]),
    ebur128SamplePeakDbfs: dbfs(/Sample peak:\s+Peak:\s+(\S+) dBFS/.exec(ebur)?.[1]),
    ebur128IntegratedLufs: dbfs(/Integrated loudness:\s+I:\s+(\S+) LUFS/.exec(ebur)?.[1]),
    quietestWindowDbfs: Math.min(...whole),
    headSilenceS: starts[0] !== undefined && starts[0] <= 0.001 ? (ends[0] ?? durationS) : 0,
    // silencedetect reports a silence running to the end with a start and no end.
    tailSilenceS: Math.abs(lastEnd - durationS) < 0.02 ? durationS - lastStart : 0,
    durationS,
  };
}

/**
 * Measures a master as written with ffmpeg (`astats`, `ebur128`, `silencedetect`) and holds its
 * acx-report entry to it: RMS and peak within 0.5 dB (sample peak against ebur128 within 0.15),
 * room tone within 20 ms, length within 1 ms, and ACX's RMS and peak bounds met. Returns ffmpeg's figures.
 */
export async function assertReportMatchesFfmpeg(
  ffmpegPath: string,
  path: string,
  file: AcxFileReport,
  diagnostic: (message: string) => void,
): Promise<FfmpegLevels> {
  const criteria = file.criteria;
  assert.ok(criteria, file.failures.join('; '));
  const ffmpeg = await ffmpegLevels(ffmpegPath, path, 44_100);
  diagnostic(
    `${file.file}: ${file.duration_s} s, RMS ${String(criteria.rms.value)} (astats ${ffmpeg.astatsRmsDbfs}), peak ${String(criteria.peak.value)} (astats ${ffmpeg.astatsPeakDbfs}, ebur128 ${ffmpeg.ebur128SamplePeakDbfs}), head ${String(criteria.head_room_tone.value)} s (silencedetect ${ffmpeg.headSilenceS}), tail ${String(criteria.tail_room_tone.value)} s (${ffmpeg.tailSilenceS}), ${ffmpeg.ebur128IntegratedLufs} LUFS`,
  );
  const near = (ours: number | boolean, theirs: number, label: string, within = 0.5) => {
    assert.equal(typeof ours, 'number');
    assert.ok(
      Math.abs((ours as number) - theirs) <= within,
      `${file.file} ${label}: report ${String(ours)}, ffmpeg ${theirs}`,
    );
  };
  near(criteria.rms.value, ffmpeg.astatsRmsDbfs, 'RMS vs astats');
  near(criteria.peak.value, ffmpeg.astatsPeakDbfs, 'peak vs astats');
  near(criteria.peak.value, ffmpeg.ebur128SamplePeakDbfs, 'peak vs ebur128', 0.15);
  near(criteria.head_room_tone.value, ffmpeg.headSilenceS, 'head room tone vs silencedetect', 0.02);
  near(criteria.tail_room_tone.value, ffmpeg.tailSilenceS, 'tail room tone vs silencedetect', 0.02);
  near(file.duration_s, ffmpeg.durationS, 'length', 0.001);
  assert.ok(ffmpeg.astatsRmsDbfs >= -23 && ffmpeg.astatsRmsDbfs <= -18);
  assert.ok(ffmpeg.astatsPeakDbfs <= -3);
  return ffmpeg;
}
