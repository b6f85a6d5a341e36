import { AudioFormatError } from '../audio/audio-errors.js';
import { pcmSource, probeClip, readFrames, type Decode } from '../audio/clip-pcm.js';
import type { PcmFormat } from '../audio/wav-file.js';
import { makeClipAnalyser, type ClipQaOptions } from './clip-analyser.js';
import type { ClipQa } from './clip-qa.js';
import { expectedSpeechS } from './duration-check.js';
import { DEFAULT_QA_THRESHOLDS } from './thresholds.js';

/** A clip already in memory. */
export type PcmClip = { readonly pcm: Int16Array; readonly format: PcmFormat };

export type AnalyseClipOptions = ClipQaOptions & {
  /** Turns an MP3 into PCM (decoded beside the file, then removed); without it an MP3 throws `NeedsFfmpeg`. */
  readonly decode?: Decode;
};

/** The verdict on a file that could not be read as 16-bit PCM audio. */
function unreadable(error: AudioFormatError, text: string, options: ClipQaOptions): ClipQa {
  const charsPerSecond =
    options.charsPerSecond ?? (options.thresholds ?? DEFAULT_QA_THRESHOLDS).priorCharsPerSecond;
  return {
    verdict: 'fail',
    reasons: ['format'],
    measured: {
      sample_rate: null,
      channels: null,
      duration_s: 0,
      peak_dbfs: null,
      speech_s: null,
      expected_s: Math.round(expectedSpeechS(text, charsPerSecond) * 1000) / 1000,
      chars_per_second: charsPerSecond,
      duration_ratio: null,
      leading_silence_s: null,
      trailing_silence_s: null,
      longest_inner_silence_s: 0,
      speech_dbfs: null,
      final_dbfs: null,
      clipped_runs: 0,
      clipped_samples: 0,
      integrated_lufs: null,
      run_median_lufs: options.runMedianLufs ?? null,
      error: error.message,
    },
  };
}

/**
 * Checks a clip against its text: a WAV or MP3 file (read a MB at a time, whatever its length)
 * or PCM in memory. A file that is not 16-bit PCM audio fails with `format`; other read errors throw.
 */
export async function analyseClip(
  input: string | PcmClip,
  text: string,
  options: AnalyseClipOptions = {},
): Promise<ClipQa> {
  if (typeof input !== 'string') {
    const analyser = makeClipAnalyser(input.format, text, options);
    const { channels } = input.format;
    analyser.feed(input.pcm.subarray(0, input.pcm.length - (input.pcm.length % channels)));
    return analyser.finish();
  }
  let source;
  let format: PcmFormat;
  try {
    const probe = await probeClip(input, options.decode);
    format = probe.info.format;
    source = await pcmSource(probe, options.decode, input);
  } catch (error) {
    if (error instanceof AudioFormatError) return unreadable(error, text, options);
    throw error;
  }
  try {
    const analyser = makeClipAnalyser(format, text, options);
    for await (const chunk of readFrames(source, 0, source.frames)) analyser.feed(chunk);
    return analyser.finish();
  } finally {
    await source.release();
  }
}
