import { AudioFormatError } from './audio-errors.js';
import { int16Bytes, loadClipPcm, probeClip, type ClipProbe, type Decode } from './clip-pcm.js';
import { msToFrames, planTrim, trimOptions, type TrimOptions } from './silence.js';
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

/**
 * Joins clip files in order into one WAV: each clip (trimmed when asked), then its gap of digital
 * silence. Every clip is checked before anything is written; one clip is in memory at a time.
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
    for (const [index, probe] of probes.entries()) {
      request.signal?.throwIfAborted();
      const pcm = await loadClipPcm(probe, deps.decode);
      const frames = Math.floor(pcm.length / format.channels);
      const plan =
        trim === undefined
          ? { lead: 0, start: 0, end: frames, tail: 0, frames, speech: undefined }
          : planTrim(pcm, format.sampleRate, format.channels, trim);
      const startSample = writer.frames;
      await writer.writeSilence(plan.lead);
      await writer.write(int16Bytes(pcm.subarray(plan.start * format.channels, plan.end * format.channels)));
      await writer.writeSilence(plan.tail);
      const id = request.clips[index]?.id ?? '';
      placements.push({ id, startSample, samples: plan.frames, trimmed: plan.speech !== undefined });
      await writer.writeSilence(gaps[index] ?? 0);
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
