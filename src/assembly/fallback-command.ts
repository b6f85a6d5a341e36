import { basename, dirname, relative } from 'node:path';
import { formatFfmetadata } from '../audio/ffmetadata.js';
import type { BookLayout } from './book-layout.js';
import type { M4bInput } from './book-job.js';

const quote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

/**
 * Without ffmpeg here: the ffmetadata file (chapter marks in samples, tags) and the exact command
 * that makes the m4b from the chapter WAVs with another machine's ffmpeg, run in the run
 * directory. Each chapter but the last is padded with the chapter pause to the sample, so the
 * marks fall where chapters.json says.
 */
export function fallbackM4b(
  input: M4bInput,
  layout: BookLayout,
  ffmetadataPath: string,
): { ffmetadata: string; command: string } {
  const ffmetadata = formatFfmetadata({
    sampleRate: layout.sampleRate,
    title: input.tags.title,
    author: input.tags.author,
    chapters: input.chapters.map((chapter, at) => {
      const span = layout.chapters[at] ?? { startSample: 0, samples: 0 };
      return {
        title: chapter.title,
        startSample: span.startSample,
        endSample: span.startSample + span.samples,
      };
    }),
  });
  const count = input.chapters.length;
  const gapSamples = Math.round((input.gapMs * layout.sampleRate) / 1000);
  const padded = input.chapters.map((_, at) =>
    at < count - 1 && gapSamples > 0
      ? `[${at}:a]apad=pad_len=${gapSamples}[a${at}]`
      : `[${at}:a]anull[a${at}]`,
  );
  const filter = `${padded.join(';')};${input.chapters.map((_, at) => `[a${at}]`).join('')}concat=n=${count}:v=0:a=1[book]`;
  const cover = input.tags.cover;
  const args = [
    'ffmpeg',
    '-hide_banner',
    ...input.chapters.flatMap((chapter) => ['-i', quote(relative(dirname(input.out), chapter.file))]),
    '-i',
    quote(basename(ffmetadataPath)),
    ...(cover === undefined ? [] : ['-i', quote(basename(cover))]),
    '-filter_complex',
    quote(filter),
    ...['-map', quote('[book]'), '-map_metadata', String(count), '-map_chapters', String(count)],
    ...(cover === undefined
      ? []
      : ['-map', `${count + 1}:v`, '-c:v', 'copy', '-disposition:v', 'attached_pic']),
    ...['-c:a', 'aac', '-b:a', '64k', '-f', 'ipod', '-y', quote(basename(input.out))],
  ];
  return { ffmetadata, command: args.join(' ') };
}
