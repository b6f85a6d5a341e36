import { fileArg, runFfmpeg } from './ffmpeg-process.js';
import { readMp4Facts, type Mp4AudioTiming } from './m4b-mp4-boxes.js';

/** A chapter as ffmpeg reads it from a written file, its times in milliseconds (exact fractions). */
export type ReadChapter = { readonly title: string; readonly startMs: number; readonly endMs: number };

/** What a written m4b says about itself: its tags, its chapters (read by ffmpeg), its audio timing. */
export type M4bReadBack = {
  readonly tags: Readonly<Record<string, string>>;
  readonly chapters: readonly ReadChapter[];
  readonly timing: Mp4AudioTiming;
  readonly hasCover: boolean;
};

/** Splits FFMETADATA text into lines at unescaped newlines, undoing the backslash escapes. */
function unescapedLines(text: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (let at = 0; at < text.length; at += 1) {
    const char = text[at];
    if (char === '\\' && at + 1 < text.length) {
      at += 1;
      line += `\u0000${text[at]}`;
    } else if (char === '\n') {
      lines.push(line);
      line = '';
    } else line += char;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** `key=value` at the first unescaped `=` (escaped characters arrive as NUL + char). */
function keyValue(line: string): [string, string] | undefined {
  for (let at = 0; at < line.length; at += 1) {
    if (line[at] === '\u0000') at += 1;
    else if (line[at] === '=') return [clean(line.slice(0, at)), clean(line.slice(at + 1))];
  }
  return undefined;
}

const clean = (text: string): string => text.replaceAll('\u0000', '');

/** Parses FFMETADATA1 as ffmpeg writes it: global tags, then `[CHAPTER]` sections. */
export function parseFfmetadata(text: string): { tags: Record<string, string>; chapters: ReadChapter[] } {
  const tags: Record<string, string> = {};
  const chapters: ReadChapter[] = [];
  let chapter: { fields: Record<string, string> } | undefined;
  const close = () => {
    if (chapter === undefined) return;
    const [num = '1', den = '1000'] = (chapter.fields['TIMEBASE'] ?? '1/1000').split('/');
    const toMs = (value: string | undefined) => (Number(value ?? 'NaN') * Number(num) * 1000) / Number(den);
    chapters.push({
      title: chapter.fields['title'] ?? '',
      startMs: toMs(chapter.fields['START']),
      endMs: toMs(chapter.fields['END']),
    });
    chapter = undefined;
  };
  for (const line of unescapedLines(text)) {
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      close();
      if (line.startsWith('[CHAPTER]')) chapter = { fields: {} };
      continue;
    }
    const pair = keyValue(line);
    if (pair === undefined) continue;
    if (chapter !== undefined) chapter.fields[pair[0]] = pair[1];
    else tags[pair[0]] = pair[1];
  }
  close();
  return { tags, chapters };
}

/**
 * Reads a written m4b back: tags and chapter marks as ffmpeg itself reads them
 * (`ffmpeg -i FILE -f ffmetadata -`); the audio track's edit list and durations, and the cover,
 * from its boxes.
 */
export async function readBackM4b(ffmpeg: string, file: string): Promise<M4bReadBack> {
  const metadata = await runFfmpeg(ffmpeg, [
    '-hide_banner',
    '-v',
    'error',
    '-i',
    fileArg(file),
    '-f',
    'ffmetadata',
    '-',
  ]);
  const { tags, chapters } = parseFfmetadata(metadata.toString('utf8'));
  const facts = await readMp4Facts(file);
  return { tags, chapters, timing: facts.audio, hasCover: facts.hasCover };
}
