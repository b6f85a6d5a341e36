import type { Cluster, Redis } from 'ioredis';
import { NeedsFfmpeg } from '../audio/audio-errors.js';
import { decodeToPcm } from '../audio/ffmpeg-decode.js';
import { locateFfmpeg } from '../audio/ffmpeg-locate.js';
import type { Logger } from '../log.js';
import { analyseClip } from '../qa/analyse-clip.js';
import type { ClipQa } from '../qa/clip-qa.js';
import { makeSpeakingRateStore } from '../qa/speaking-rate.js';
import { makeRunLoudness } from '../qa/run-loudness.js';
import type { RowRequest } from '../queue/row-job.js';
import type { Settings } from '../settings.js';

/** Which row of which run a clip is (a part's key for a part of a long row). */
export type ClipRow = { readonly run: string; readonly id: string };

/** A clip's checks, or why it could not be checked. */
export type ClipCheck = { readonly qa: ClipQa } | { readonly unchecked: string };

/** Checks clips as they arrive (src/qa), at the speaking rate the fleet learned for their model and voice. */
export type ClipChecker = {
  /** `row`: the clip's run and row, whose loudness is judged against the run's median. */
  check(file: string, request: RowRequest, row: ClipRow): Promise<ClipCheck>;
  /** A clip that passed teaches the fleet its voice's rate and the run its loudness. Never throws. */
  learn(request: RowRequest, qa: ClipQa, row: ClipRow): Promise<void>;
};

export type ClipCheckerOptions = {
  readonly redis: Redis | Cluster;
  readonly prefix: string;
  readonly settings: Pick<Settings, 'ffmpegPath' | 'searchPath' | 'qaThresholds'>;
  readonly logger: Logger;
};

export function makeClipChecker(options: ClipCheckerOptions): ClipChecker {
  const { settings, logger } = options;
  const thresholds = settings.qaThresholds;
  const rates = makeSpeakingRateStore(options.redis, {
    prefix: options.prefix,
    priorCharsPerSecond: thresholds.priorCharsPerSecond,
  });
  const loudness = makeRunLoudness(options.redis, { prefix: options.prefix });
  // Only an MP3 needs ffmpeg (to decode it); looked up once, when the first MP3 comes.
  let decoder: Promise<((file: string) => AsyncIterable<Buffer>) | undefined> | undefined;
  const decode = () =>
    (decoder ??= locateFfmpeg({ configuredPath: settings.ffmpegPath, searchPath: settings.searchPath })
      .then((ffmpeg) => (ffmpeg === undefined ? undefined : (file: string) => decodeToPcm(ffmpeg.path, file)))
      .catch(() => undefined));
  return {
    async check(file, request, row) {
      const [charsPerSecond, runMedianLufs] = await Promise.all([
        rates.rateFor(request.model, request.voice_1).catch(() => undefined),
        loudness.median(row.run).catch(() => undefined),
      ]);
      const mp3 = file.endsWith('.mp3') ? await decode() : undefined;
      try {
        const qa = await analyseClip(file, request.text, {
          thresholds,
          ...(charsPerSecond === undefined ? {} : { charsPerSecond }),
          ...(runMedianLufs === undefined ? {} : { runMedianLufs }),
          ...(mp3 === undefined ? {} : { decode: mp3 }),
        });
        return { qa };
      } catch (error) {
        if (error instanceof NeedsFfmpeg) return { unchecked: 'mp3 without ffmpeg to decode it' };
        throw error;
      }
    },
    async learn(request, qa, row) {
      const lufs = qa.measured.integrated_lufs;
      if (lufs !== null) await loudness.record(row.run, row.id, lufs).catch(() => undefined);
      const speechS = qa.measured.speech_s;
      if (speechS === null) return;
      await rates.record(request.model, request.voice_1, request.text, speechS).catch((error: unknown) => {
        logger.debug(
          { event: 'speaking_rate_failed', err: (error as Error).message },
          'could not learn the rate',
        );
      });
    },
  };
}
