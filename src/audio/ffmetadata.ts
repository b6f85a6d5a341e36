/** One chapter of an FFMETADATA1 file, its times in samples of `sampleRate`. */
export type FfmetadataChapter = {
  readonly title: string;
  readonly startSample: number;
  /** Exclusive: the next chapter's `startSample`, or the end of the audio. */
  readonly endSample: number;
};

/** What `-map_metadata`/`-map_chapters` take from the file: the book's tags and its chapters. */
export type FfmetadataInput = {
  readonly sampleRate: number;
  readonly title?: string | undefined;
  /** Written as `artist` (and `album_artist`): what players show as the author. */
  readonly author?: string | undefined;
  /** Defaults to the title: audiobook players group by album. */
  readonly album?: string | undefined;
  readonly chapters: readonly FfmetadataChapter[];
};

/**
 * Escapes a key or value as ffmpeg's metadata docs require: `=`, `;`, `#`, `\` and a newline
 * each get a backslash. A carriage return becomes a newline first (ffmpeg's reader would end
 * the line at it).
 */
export function escapeFfmetadata(value: string): string {
  return value.replace(/\r\n?/g, '\n').replace(/[=;#\\\n]/g, (char) => `\\${char}`);
}

function tag(key: string, value: string | undefined): string[] {
  return value === undefined || value === '' ? [] : [`${key}=${escapeFfmetadata(value)}`];
}

/**
 * The text of an FFMETADATA1 file. Chapter times use `TIMEBASE=1/<sampleRate>` so START and END
 * are exact sample counts, not rounded milliseconds.
 */
export function formatFfmetadata(input: FfmetadataInput): string {
  if (!Number.isInteger(input.sampleRate) || input.sampleRate <= 0) {
    throw new RangeError(`Expected \`sampleRate\` to be a whole number > 0, got \`${input.sampleRate}\``);
  }
  const lines = [
    ';FFMETADATA1',
    ...tag('title', input.title),
    ...tag('album', input.album ?? input.title),
    ...tag('artist', input.author),
    ...tag('album_artist', input.author),
    ...tag('genre', 'Audiobook'),
  ];
  input.chapters.forEach((chapter, index) => {
    const { startSample, endSample } = chapter;
    if (
      !Number.isInteger(startSample) ||
      !Number.isInteger(endSample) ||
      startSample < 0 ||
      endSample < startSample
    ) {
      throw new RangeError(
        `Expected chapter ${index} to span whole samples 0 <= start <= end, got \`${startSample}..${endSample}\``,
      );
    }
    lines.push(
      '[CHAPTER]',
      `TIMEBASE=1/${input.sampleRate}`,
      `START=${startSample}`,
      `END=${endSample}`,
      ...tag('title', chapter.title),
    );
  });
  return `${lines.join('\n')}\n`;
}
