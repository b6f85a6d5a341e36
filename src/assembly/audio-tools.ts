import { captionCues, formatSrt, formatVtt } from '../audio/captions.js';
import { decodeToPcm } from '../audio/ffmpeg-decode.js';
import { locateFfmpeg } from '../audio/ffmpeg-locate.js';
import { joinClips } from '../audio/join-clips.js';
import { encodeM4b } from '../audio/m4b-encode.js';
import type { Logger } from '../log.js';
import type { Settings } from '../settings.js';
import type { BookTools } from './book-job.js';
import type { JoinChapter } from './chapter-job.js';
import { fallbackM4b } from './fallback-command.js';

/**
 * The audio side of assembly, bound to this machine: H1's join and captions, and H2's encoder
 * and MP3 decoder when an ffmpeg is found (`TTS_FFMPEG`, PATH, the npm package), looked up per
 * job so that an ffmpeg installed while the worker runs is used.
 */
export async function findAudioTools(
  settings: Pick<Settings, 'ffmpegPath' | 'searchPath'>,
  logger: Logger,
): Promise<{ join: JoinChapter; book: BookTools }> {
  const ffmpeg = await locateFfmpeg({ configuredPath: settings.ffmpegPath, searchPath: settings.searchPath });
  if (ffmpeg === undefined)
    logger.debug({ event: 'ffmpeg_missing' }, 'no ffmpeg found: MP3 clips cannot be joined, no m4b');
  const decode = ffmpeg === undefined ? undefined : (file: string) => decodeToPcm(ffmpeg.path, file);
  return {
    join: (input) =>
      joinClips(
        { clips: input.clips, out: input.out, gapsMs: input.gapsMs, trim: { padMs: input.trimPadMs } },
        decode === undefined ? {} : { decode },
      ),
    book: {
      encodeM4b:
        ffmpeg === undefined
          ? undefined
          : async (input) => {
              await encodeM4b(input, ffmpeg.path);
            },
      fallback: fallbackM4b,
      captions: (layout, texts) => {
        const cues = captionCues(layout, texts);
        return { srt: formatSrt(cues), vtt: formatVtt(cues) };
      },
    },
  };
}
