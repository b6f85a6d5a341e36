import { GEMINI_PCM } from '../segmind/audio.js';
import type { PcmFormat } from '../audio/wav-file.js';
import { makeSpeechScanner, thresholdAmplitude } from '../audio/speech-scanner.js';
import { makeClippingScanner } from './clipping.js';
import { finiteOrNull, roundTo, type ClipQa, type QaReason } from './clip-qa.js';
import { checkDuration } from './duration-check.js';
import { makeEndLevelScanner } from './end-level.js';
import { makeLoudnessMeter } from './loudness.js';
import { compareToRunMedian } from './run-median.js';
import { makeSampleStats } from './sample-stats.js';
import { makeSilenceRunScanner } from './silence-runs.js';
import { DEFAULT_QA_THRESHOLDS, type QaThresholds } from './thresholds.js';

export type ClipQaOptions = {
  /** The speaking rate to expect, speech-weighted characters a second (default: the thresholds' prior). */
  readonly charsPerSecond?: number;
  /** The run's median integrated loudness so far; without it the loudness is measured, not judged. */
  readonly runMedianLufs?: number;
  readonly thresholds?: QaThresholds;
  /** What the clip should be (default Gemini's: 24 kHz, mono, 16-bit). */
  readonly expectedFormat?: PcmFormat;
};

/** Every check over one clip's PCM, fed in chunks of whole frames, in flat memory. */
export type ClipAnalyser = {
  feed(pcm: Int16Array): void;
  finish(): ClipQa;
};

function sameFormat(a: PcmFormat, b: PcmFormat): boolean {
  return a.sampleRate === b.sampleRate && a.channels === b.channels && a.bitsPerSample === b.bitsPerSample;
}

export function makeClipAnalyser(format: PcmFormat, text: string, options: ClipQaOptions = {}): ClipAnalyser {
  const thresholds = options.thresholds ?? DEFAULT_QA_THRESHOLDS;
  const charsPerSecond = options.charsPerSecond ?? thresholds.priorCharsPerSecond;
  const { sampleRate, channels } = format;
  const amplitude = thresholdAmplitude(thresholds.silenceDbfs);
  const stats = makeSampleStats(channels);
  const speech = makeSpeechScanner(sampleRate, channels, {
    thresholdDbfs: thresholds.silenceDbfs,
    holdMs: thresholds.speechHoldMs,
  });
  const silences = makeSilenceRunScanner(channels, amplitude);
  const end = makeEndLevelScanner(sampleRate, channels, amplitude);
  const clipping = makeClippingScanner(channels, thresholds.clipLevel, thresholds.clipRunSamples);
  const loudness = makeLoudnessMeter(sampleRate, channels);
  const scanners = [stats, speech, silences, end, clipping, loudness];
  return {
    feed(pcm) {
      for (const scanner of scanners) scanner.feed(pcm);
    },
    finish() {
      const reasons: QaReason[] = [];
      const seconds = (frames: number): number => frames / sampleRate;
      const sampleStats = stats.finish();
      const span = speech.finish();
      const innerS = seconds(silences.finish());
      const level = end.finish();
      const clipped = clipping.finish();
      const lufs = loudness.finish();
      const durationS = seconds(sampleStats.frames);
      if (!sameFormat(format, options.expectedFormat ?? GEMINI_PCM)) reasons.push('format');
      // Nothing to judge the speech of: the other checks would only repeat it.
      let content: QaReason | undefined;
      if (durationS < thresholds.minDurationS) content = 'empty';
      else if (sampleStats.allZero) content = 'silent';
      else if (sampleStats.constant) content = 'constant';
      else if (span === undefined) content = 'no_speech';
      if (content !== undefined) reasons.push(content);
      const speechS = span === undefined ? 0 : seconds(span.last - span.first + 1);
      const leadS = span === undefined ? undefined : seconds(span.first);
      const trailS = span === undefined ? undefined : seconds(sampleStats.frames - span.last - 1);
      const duration = checkDuration(speechS, text, charsPerSecond, thresholds);
      if (content === undefined) {
        if (duration.problem !== undefined) reasons.push(duration.problem);
        if ((leadS ?? 0) > thresholds.maxLeadingSilenceS) reasons.push('leading_silence');
        if ((trailS ?? 0) > thresholds.maxTrailingSilenceS) reasons.push('trailing_silence');
        if (innerS > thresholds.maxInnerSilenceS) reasons.push('inner_silence');
        const speechReachesEnd = (trailS ?? 0) * 1000 < thresholds.endWindowMs;
        const noTail =
          level.speechDbfs !== undefined && level.finalDbfs > level.speechDbfs - thresholds.abruptEndDb;
        if (speechReachesEnd && noTail) reasons.push('abrupt_end');
      }
      if (clipped.runs > thresholds.maxClipRuns) reasons.push('clipping');
      const median = options.runMedianLufs;
      if (lufs !== undefined && median !== undefined) {
        if (!compareToRunMedian(lufs, median, thresholds.maxLoudnessDeviationLu).ok) reasons.push('loudness');
      }
      return {
        verdict: reasons.length === 0 ? 'pass' : 'fail',
        reasons,
        measured: {
          sample_rate: sampleRate,
          channels,
          duration_s: roundTo(durationS, 3),
          peak_dbfs: sampleStats.peak === 0 ? null : roundTo(20 * Math.log10(sampleStats.peak / 32768), 2),
          speech_s: span === undefined ? null : roundTo(speechS, 3),
          expected_s: roundTo(duration.expectedS, 3),
          chars_per_second: roundTo(charsPerSecond, 3),
          duration_ratio: span === undefined ? null : finiteOrNull(duration.ratio, 3),
          leading_silence_s: finiteOrNull(leadS, 3),
          trailing_silence_s: finiteOrNull(trailS, 3),
          longest_inner_silence_s: roundTo(innerS, 3),
          speech_dbfs: finiteOrNull(level.speechDbfs, 2),
          final_dbfs: finiteOrNull(level.finalDbfs, 2),
          clipped_runs: clipped.runs,
          clipped_samples: clipped.samples,
          integrated_lufs: finiteOrNull(lufs, 2),
          run_median_lufs: finiteOrNull(median, 2),
        },
      };
    },
  };
}
