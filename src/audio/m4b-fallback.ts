import { writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { formatFfmetadata } from './ffmetadata.js';
import type { EncodeM4bInput } from './m4b-encode.js';
import { concatInput, DEFAULT_BITRATE_KBPS, encoderArgs } from './m4b-ffmpeg-args.js';
import { planM4b, type M4bPlan } from './m4b-plan.js';
import { readChapterWav } from './m4b-wav-input.js';
import { wavHeader } from '../segmind/audio.js';

/** What to leave when there is no ffmpeg: files to write, and the command that finishes the book. */
export type M4bFallback = {
  readonly plan: M4bPlan;
  /** Written next to the chapter WAVs: the ffmetadata, the concat list, the gap's silence WAV. */
  readonly files: readonly { readonly path: string; readonly content: string | Buffer }[];
  /** The ffmpeg command as argv (first element `ffmpeg`). */
  readonly argv: readonly string[];
  /** The same, quoted for a POSIX shell: what the caller prints. */
  readonly commandLine: string;
};

/** File names the fallback writes in the chapters' folder. */
export const FALLBACK_FILES = {
  metadata: 'chapters.ffmetadata',
  concat: 'chapters.concat.txt',
  gap: 'gap.wav',
} as const;

function silenceWav(samples: number, sampleRate: number, channels: number): Buffer {
  const dataBytes = samples * channels * 2;
  return Buffer.concat([wavHeader(dataBytes, sampleRate, channels, 16), Buffer.alloc(dataBytes)]);
}

/** Quotes one argument for a POSIX shell (bare when it is plainly safe). */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** One `file` line of an ffmpeg concat list (paths relative to the list's folder). */
function concatLine(listDir: string, file: string): string {
  return `file '${relative(listDir, file).replace(/'/g, `'\\''`)}'`;
}

/**
 * The fallback when no ffmpeg is found: an ffmetadata file with the exact chapter marks, a concat
 * list of the chapter WAVs with a silence WAV between them (the gap), both in `chaptersDir`, and
 * the ffmpeg command that encodes them into `input.out` as `encodeM4b` would (unchecked: whoever
 * runs it has the marks in `chapters.json` and the ffmetadata file to compare).
 */
export async function fallbackCommand(
  input: Omit<EncodeM4bInput, 'signal'>,
  chaptersDir: string = dirname(input.chapters[0]?.file ?? input.out),
): Promise<M4bFallback> {
  const wavs = await Promise.all(input.chapters.map((chapter) => readChapterWav(chapter.file)));
  const plan = planM4b(
    input.chapters.map((chapter, index) => ({ title: chapter.title, wav: wavs[index]! })),
    input.gapMs,
  );
  const metadata = join(chaptersDir, FALLBACK_FILES.metadata);
  const concat = join(chaptersDir, FALLBACK_FILES.concat);
  const gap = join(chaptersDir, FALLBACK_FILES.gap);
  const lines = ['ffconcat version 1.0'];
  input.chapters.forEach((chapter, index) => {
    if (index > 0 && plan.gapSamples > 0) lines.push(concatLine(chaptersDir, gap));
    lines.push(concatLine(chaptersDir, chapter.file));
  });
  const files = [
    {
      path: metadata,
      content: formatFfmetadata({
        sampleRate: plan.sampleRate,
        title: input.tags.title,
        author: input.tags.author,
        chapters: plan.marks.map((mark) => ({
          title: mark.title,
          startSample: mark.startSample,
          endSample: mark.startSample + mark.samples,
        })),
      }),
    },
    { path: concat, content: `${lines.join('\n')}\n` },
    ...(plan.gapSamples > 0 && input.chapters.length > 1
      ? [{ path: gap, content: silenceWav(plan.gapSamples, plan.sampleRate, plan.channels) }]
      : []),
  ];
  const argv = [
    'ffmpeg',
    ...encoderArgs({
      audioInput: concatInput(concat),
      quiet: false,
      metadataFile: metadata,
      cover: input.tags.cover,
      bitrateKbps: input.bitrateKbps ?? DEFAULT_BITRATE_KBPS,
      out: input.out,
    }),
  ];
  return { plan, files, argv, commandLine: argv.map(shellQuote).join(' ') };
}

/** Writes the fallback's files (the caller prints `commandLine`). */
export async function writeFallbackFiles(fallback: M4bFallback): Promise<void> {
  for (const file of fallback.files) await writeFile(file.path, file.content);
}
