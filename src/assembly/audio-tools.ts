import { basename, dirname } from 'node:path';
import { captionCues, formatSrt, formatVtt } from '../audio/captions.js';
import { decodeToPcm } from '../audio/ffmpeg-decode.js';
import { locateFfmpeg } from '../audio/ffmpeg-locate.js';
import { joinClips } from '../audio/join-clips.js';
import { encodeM4b } from '../audio/m4b-encode.js';
import { fallbackCommand } from '../audio/m4b-fallback.js';
import { masterChapters } from '../master/master-chapters.js';
import { masterClip } from '../master/master-clip.js';
import { writeFileAtomic } from '../output/run-files.js';
import type { Logger } from '../log.js';
import type { Settings } from '../settings.js';
import type { BookTools } from './book-job.js';
import type { JoinChapter } from './chapter-job.js';
import type { MasterClipTool } from './clips-job.js';

/** `TTS_FFMPEG=none`: assemble without ffmpeg. */
export const NO_FFMPEG = 'none';

/** Whether an ffmpeg runs here (`TTS_FFMPEG`, PATH, the npm package): what enqueue checks for `--master`. */
export async function ffmpegFoundHere(
  settings: Pick<Settings, 'ffmpegPath' | 'searchPath'>,
): Promise<boolean> {
  if (settings.ffmpegPath === NO_FFMPEG) return false;
  const found = await locateFfmpeg({
    configuredPath: settings.ffmpegPath,
    searchPath: settings.searchPath,
  }).catch(() => undefined);
  return found !== undefined;
}

/**
 * The audio side of assembly, bound to this machine: H1's join and captions, and H2's encoder,
 * MP3 decoder and mastering (chapters, or each clip) when an ffmpeg is found (`TTS_FFMPEG`, PATH, the npm package), looked up per
 * job so that an ffmpeg installed while the worker runs is used.
 */
export async function findAudioTools(
  settings: Pick<Settings, 'ffmpegPath' | 'searchPath'>,
  logger: Logger,
): Promise<{ join: JoinChapter; book: BookTools; masterClip: MasterClipTool | undefined }> {
  // `TTS_FFMPEG=none`: make no m4b here even if an ffmpeg is found (the fallback files instead).
  const ffmpeg =
    settings.ffmpegPath === NO_FFMPEG
      ? undefined
      : await locateFfmpeg({ configuredPath: settings.ffmpegPath, searchPath: settings.searchPath });
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
      fallback: async (input) => {
        const fallback = await fallbackCommand(input);
        for (const file of fallback.files)
          await writeFileAtomic(dirname(file.path), basename(file.path), file.content);
        return fallback.commandLine;
      },
      master: ffmpeg === undefined ? undefined : (input) => masterChapters(ffmpeg.path, input),
      captions: (layout, texts) => {
        const cues = captionCues(layout, texts);
        return { srt: formatSrt(cues), vtt: formatVtt(cues) };
      },
    },
    masterClip: ffmpeg === undefined ? undefined : (input) => masterClip(ffmpeg.path, input),
  };
}
