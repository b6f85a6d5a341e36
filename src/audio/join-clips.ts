import { basename, dirname, resolve } from 'node:path';
import { sweepStaleTemps } from '../output/run-files.js';
import { AudioFormatError } from './audio-errors.js';
import {
  int16Bytes,
  pcmSource,
  probeClip,
  readFrames,
  type ClipProbe,
  type Decode,
  type PcmSource,
} from './clip-pcm.js';
import { planTrimOf, trimOptions, type TrimOptions, type TrimPlan } from './silence.js';
import { makeSpeechScanner, msToFrames } from './speech-scanner.js';
import type { PcmFormat } from './wav-file.js';
import { createWavWriter } from './wav-writer.js';

export type JoinClip = { readonly id: string; readonly file: string };

export type JoinRequest = {
  /** In the order they are joined. */
  readonly clips: readonly JoinClip[];
  /** The WAV written (atomically). */
  readonly out: string;
  /** Silence after clip i, in ms: one per gap (clips - 1), or one value for every gap. */
  readonly gapsMs: readonly number[] | number;
  /** Trim each clip's leading and trailing silence to a pad first (`true`: `DEFAULT_TRIM`). */
  readonly trim: boolean | Partial<TrimOptions>;
  /** Stops between clips; the output's temporary file is removed. */
  readonly signal?: AbortSignal;
};

export type JoinDeps = {
  /** Decodes an MP3 clip; without it an MP3 clip throws `NeedsFfmpeg` before anything is written. */
  readonly decode?: Decode;
};

/** Where a clip's audio lies in the joined file, in frames (samples per channel). */
export type ClipPlacement = {
  readonly id: string;
  readonly startSample: number;
  /** Frames of the clip after trimming, pads included. */
  readonly samples: number;
  /** True when cut to its pads; false when kept as it was (trim off, or no speech found in it). */
  readonly trimmed: boolean;
};

/** The exact layout of the joined file, from sample counts. */
export type JoinLayout = {
  readonly sampleRate: number;
  readonly channels: number;
  readonly totalSamples: number;
  readonly clips: readonly ClipPlacement[];
};

function gapFrames(request: JoinRequest, sampleRate: number): number[] {
  const gaps = request.clips.length - 1;
  const list = typeof request.gapsMs === 'number' ? Array<number>(gaps).fill(request.gapsMs) : request.gapsMs;
  if (list.length !== gaps) {
    throw new RangeError(`Expected \`gapsMs\` to hold ${gaps} gaps (clips - 1), got ${list.length}`);
  }
  return list.map((ms) => {
    if (!Number.isFinite(ms) || ms < 0)
      throw new RangeError(`Expected each gap to be >= 0 ms, got \`${ms}\``);
    return msToFrames(ms, sampleRate);
  });
}

function sameFormat(probes: readonly ClipProbe[]): PcmFormat {
  const first = probes[0]?.info.format;
  if (first === undefined) throw new RangeError('Expected at least one clip to join, got none');
  for (const probe of probes) {
    const { sampleRate, channels, bitsPerSample } = probe.info.format;
    if (
      sampleRate !== first.sampleRate ||
      channels !== first.channels ||
      bitsPerSample !== first.bitsPerSample
    ) {
      const [one, other] = [first, probe.info.format].map(
        (f) => `${f.sampleRate} Hz ${f.channels} ch ${f.bitsPerSample}-bit`,
      );
      throw new AudioFormatError(
        probe.file,
        `is ${other}, the first clip ${one}: clips must share one format`,
      );
    }
  }
  return first;
}

/** How a clip is cut: a first pass over it finds its speech (when trimming). */
async function planClip(
  source: PcmSource,
  format: PcmFormat,
  trim: TrimOptions | undefined,
): Promise<TrimPlan> {
  if (trim === undefined) return planTrimOf(undefined, source.frames, format.sampleRate, 0);
  const scanner = makeSpeechScanner(format.sampleRate, format.channels, trim);
  for await (const chunk of readFrames(source, 0, source.frames)) scanner.feed(chunk);
  return planTrimOf(scanner.finish(), source.frames, format.sampleRate, trim.padMs);
}

/**
 * Joins clip files in order into one WAV: each clip (trimmed when asked), then its gap of digital
 * silence. Every clip is checked before anything is written; each is read in two passes (find
 * its speech, then copy) a MB at a time, an MP3 decoded to a file beside `out` first: memory
 * stays flat whatever the clips' lengths.
 */
export async function joinClips(request: JoinRequest, deps: JoinDeps = {}): Promise<JoinLayout> {
  const probes: ClipProbe[] = [];
  for (const clip of request.clips) probes.push(await probeClip(clip.file, deps.decode));
  const format = sameFormat(probes);
  const gaps = gapFrames(request, format.sampleRate);
  const trim = request.trim === false ? undefined : trimOptions(request.trim === true ? {} : request.trim);
  const writer = await createWavWriter(request.out, format);
  const placements: ClipPlacement[] = [];
  try {
    await sweepStaleTemps(dirname(resolve(request.out)), [`${basename(request.out)}.pcm`]);
    for (const [index, probe] of probes.entries()) {
      request.signal?.throwIfAborted();
      const source = await pcmSource(probe, deps.decode, request.out);
      try {
        const plan = await planClip(source, format, trim);
        const startSample = writer.frames;
        await writer.writeSilence(plan.lead);
        for await (const chunk of readFrames(source, plan.start, plan.end))
          await writer.write(int16Bytes(chunk));
        await writer.writeSilence(plan.tail);
        const id = request.clips[index]?.id ?? '';
        placements.push({ id, startSample, samples: plan.frames, trimmed: plan.speech !== undefined });
        await writer.writeSilence(gaps[index] ?? 0);
      } finally {
        await source.release();
      }
    }
    request.signal?.throwIfAborted();
    const { frames } = await writer.finish();
    return {
      sampleRate: format.sampleRate,
      channels: format.channels,
      totalSamples: frames,
      clips: placements,
    };
  } catch (error) {
    await writer.discard();
    throw error;
  }
}
