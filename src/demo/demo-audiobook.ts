import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The assembled book as the demo prints it, read from `<run>/chapters.json`. */
export type DemoAudiobook = {
  readonly title: string;
  readonly author: string | null;
  readonly durationMs: number;
  /** Relative to the run directory; null when no ffmpeg was found. */
  readonly m4b: string | null;
  readonly ffmpegCommand: string | null;
  readonly srt: string;
  readonly vtt: string;
  readonly chapters: readonly {
    readonly index: number;
    readonly title: string;
    readonly startMs: number;
    readonly durationMs: number;
    readonly file: string;
    readonly rows: readonly string[];
  }[];
};

const isText = (value: unknown): value is string => typeof value === 'string';
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const textOrNull = (value: unknown): string | null => (isText(value) ? value : null);

/** `chapters.json` as written by the assembly (src/assembly), or undefined when absent or not of that shape. */
export async function readDemoAudiobook(runDir: string): Promise<DemoAudiobook | undefined> {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(await readFile(join(runDir, 'chapters.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const chapters = Array.isArray(json.chapters) ? (json.chapters as Record<string, unknown>[]) : [];
  const readable =
    chapters.length > 0 &&
    chapters.every(
      (chapter) =>
        isNumber(chapter.index) &&
        isText(chapter.title) &&
        isNumber(chapter.start_ms) &&
        isNumber(chapter.duration_ms) &&
        isText(chapter.file) &&
        Array.isArray(chapter.rows),
    );
  if (!readable || !isNumber(json.duration_ms)) return undefined;
  const run = runDir.split(/[\\/]/).pop() ?? 'book';
  return {
    title: isText(json.title) ? json.title : run,
    author: textOrNull(json.author),
    durationMs: json.duration_ms,
    m4b: textOrNull(json.m4b),
    ffmpegCommand: textOrNull(json.ffmpeg_command),
    srt: isText(json.srt) ? json.srt : `${run}.srt`,
    vtt: isText(json.vtt) ? json.vtt : `${run}.vtt`,
    chapters: chapters.map((chapter) => ({
      index: chapter.index as number,
      title: chapter.title as string,
      startMs: chapter.start_ms as number,
      durationMs: chapter.duration_ms as number,
      file: chapter.file as string,
      rows: (chapter.rows as unknown[]).filter(isText),
    })),
  };
}
