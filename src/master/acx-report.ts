import { ACX_SPEC } from './acx-spec.js';
import type { Mp3Frames } from './mp3-frames.js';
import type { PcmLevels } from './pcm-levels.js';

/** One criterion of one file: the measured value, ACX's bound(s), and whether it passes. */
export type AcxCriterion = {
  readonly value: number | boolean;
  readonly unit: 'dBFS' | 's' | 'kbps' | 'Hz' | 'bool';
  readonly min?: number;
  readonly max?: number;
  readonly pass: boolean;
};

export const ACX_CRITERIA = [
  'rms',
  'peak',
  'noise_floor',
  'head_room_tone',
  'tail_room_tone',
  'bitrate',
  'constant_bitrate',
  'sample_rate',
  'length',
] as const;
export type AcxCriterionName = (typeof ACX_CRITERIA)[number];

export type AcxFileReport = {
  /** Relative to the run directory: `master/01-the-storm.mp3` (a chapter), `master/<id>.mp3` (a clip). */
  readonly file: string;
  /** The chapter mastered; null for a clip's master (a run without chapters). */
  readonly chapter: number | null;
  /** The row whose clip was mastered; null for a chapter's master. */
  readonly row: string | null;
  readonly title: string;
  readonly duration_s: number;
  readonly channels: 1;
  readonly pass: boolean;
  /** Null when the chapter could not be mastered (no sound, ffmpeg failed): `failures` says why. */
  readonly criteria: Readonly<Record<AcxCriterionName, AcxCriterion>> | null;
  /** The criteria that failed, with their values (`rms -17.2 dBFS > -18`). */
  readonly failures: readonly string[];
};

/** `<out>/<run>/acx-report.json`: every mastered file, measured after it was written (decoded again). */
export type AcxReport = {
  readonly version: 1;
  readonly run: string;
  readonly standard: 'acx';
  /** How each level is measured, so that a reader can reproduce it. */
  readonly method: {
    readonly decode: 's16le PCM at the file sample rate (ffmpeg)';
    readonly rms: 'whole file';
    readonly peak: 'sample peak';
    readonly noise_floor: 'RMS of the quietest 500 ms window';
    readonly room_tone: 'leading and trailing 10 ms blocks at or below -50 dBFS RMS';
  };
  readonly pass: boolean;
  readonly files: readonly AcxFileReport[];
};

const round = (value: number, places = 2) => Math.round(value * 10 ** places) / 10 ** places;

function range(value: number, unit: AcxCriterion['unit'], min?: number, max?: number): AcxCriterion {
  const pass = (min === undefined || value >= min) && (max === undefined || value <= max);
  return {
    value: round(value, 3),
    unit,
    ...(min === undefined ? {} : { min }),
    ...(max === undefined ? {} : { max }),
    pass,
  };
}

/** What a report entry says of the file it measures: its path, and the chapter or the row it masters. */
export type MasteredAbout = {
  readonly file: string;
  readonly chapter: number | null;
  readonly title: string;
  readonly row?: string;
};

/** Judges one written file against ACX_SPEC from its decoded levels and its frame headers. */
export function judgeFile(
  file: MasteredAbout,
  levels: PcmLevels,
  frames: Mp3Frames,
): AcxFileReport & { readonly criteria: Readonly<Record<AcxCriterionName, AcxCriterion>> } {
  const bitrates = [...frames.bitratesKbps.keys()];
  const rates = [...frames.sampleRatesHz];
  // Mixed bitrates are reported as their mean over the frames (a VBR file reads as its average).
  const bitsKb = [...frames.bitratesKbps].reduce((sum, [kbps, count]) => sum + kbps * count, 0);
  const bitrate = frames.frames === 0 ? 0 : bitsKb / frames.frames;
  const criteria: Record<AcxCriterionName, AcxCriterion> = {
    rms: range(levels.rmsDbfs, 'dBFS', ACX_SPEC.rmsDbfs.min, ACX_SPEC.rmsDbfs.max),
    peak: range(levels.peakDbfs, 'dBFS', undefined, ACX_SPEC.peakDbfs.max),
    noise_floor: range(levels.noiseFloorDbfs, 'dBFS', undefined, ACX_SPEC.noiseFloorDbfs.max),
    head_room_tone: range(levels.headRoomToneS, 's', ACX_SPEC.headRoomToneS.min, ACX_SPEC.headRoomToneS.max),
    tail_room_tone: range(levels.tailRoomToneS, 's', ACX_SPEC.tailRoomToneS.min, ACX_SPEC.tailRoomToneS.max),
    bitrate: range(bitrate, 'kbps', ACX_SPEC.bitrateKbps, ACX_SPEC.bitrateKbps),
    constant_bitrate: {
      value: bitrates.length === 1 && frames.tag !== 'Xing',
      unit: 'bool',
      pass: bitrates.length === 1 && frames.tag !== 'Xing',
    },
    sample_rate: range(
      rates.length === 1 ? (rates[0] ?? 0) : 0,
      'Hz',
      ACX_SPEC.sampleRateHz,
      ACX_SPEC.sampleRateHz,
    ),
    length: range(levels.durationS, 's', undefined, ACX_SPEC.lengthS.max),
  };
  const failures = ACX_CRITERIA.filter((name) => !criteria[name].pass).map((name) =>
    describeFailure(name, criteria[name]),
  );
  return {
    file: file.file,
    chapter: file.chapter,
    row: file.row ?? null,
    title: file.title,
    duration_s: round(levels.durationS, 3),
    channels: 1,
    pass: failures.length === 0,
    criteria,
    failures,
  };
}

function describeFailure(name: AcxCriterionName, criterion: AcxCriterion): string {
  if (typeof criterion.value === 'boolean') return `${name}: no`;
  const unit = criterion.unit === 'bool' ? '' : ` ${criterion.unit}`;
  if (criterion.min !== undefined && criterion.value < criterion.min)
    return `${name} ${criterion.value}${unit} < ${criterion.min}`;
  return `${name} ${criterion.value}${unit} > ${criterion.max ?? ''}`;
}

/** A chapter (or clip) that could not be mastered: no file, a failing entry with the reason. */
export function unmasteredFile(file: MasteredAbout, reason: string): AcxFileReport {
  return {
    file: file.file,
    chapter: file.chapter,
    row: file.row ?? null,
    title: file.title,
    duration_s: 0,
    channels: 1,
    pass: false,
    criteria: null,
    failures: [`not mastered: ${reason}`],
  };
}

export function acxReport(run: string, files: readonly AcxFileReport[]): AcxReport {
  return {
    version: 1,
    run,
    standard: 'acx',
    method: {
      decode: 's16le PCM at the file sample rate (ffmpeg)',
      rms: 'whole file',
      peak: 'sample peak',
      noise_floor: 'RMS of the quietest 500 ms window',
      room_tone: 'leading and trailing 10 ms blocks at or below -50 dBFS RMS',
    },
    pass: files.length > 0 && files.every((file) => file.pass),
    files,
  };
}
