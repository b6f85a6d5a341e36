import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RedisClient } from '../redis/connection.js';
import type { ClipPlacement, JoinLayout } from '../audio/join-clips.js';
import { writeFileAtomic } from '../output/run-files.js';
import { runKeys } from '../queue/keys.js';

/** Where a clip lies in the joined audio, in sample frames (audio/join-clips.ts). */
export type ClipSpan = ClipPlacement;

/** The exact layout of a joined file, as audio/join-clips.ts reports it. */
export type AudioLayout = JoinLayout;

/** A chapter's done-marker: the version its file holds, written after the file is in place. */
export type ChapterMarker = AudioLayout & {
  readonly version: string;
  /** File name under `chapters/`. */
  readonly file: string;
};

/** Directory of the run's assembly markers. */
export const MARKER_DIR = '.tts-assembly';

const markerName = (index: number) => `chapter-${String(index).padStart(4, '0')}.json`;

export async function readChapterMarker(outDir: string, index: number): Promise<ChapterMarker | undefined> {
  try {
    return JSON.parse(await readFile(join(outDir, MARKER_DIR, markerName(index)), 'utf8')) as ChapterMarker;
  } catch {
    return undefined;
  }
}

/** What `status` and the dashboard show of an assembled chapter or book (the Redis mirror of the markers). */
export type AssembledNote = {
  readonly version: string;
  readonly durationMs: number;
  /** The chapter's file (`chapters/01-x.wav`), or the book's m4b (null without ffmpeg). */
  readonly file: string | null;
};

/** The Redis mirror of a chapter's marker, for status (written again when a job finds its chapter current). */
export async function noteChapterAssembled(
  redis: RedisClient,
  prefix: string,
  run: string,
  index: number,
  marker: ChapterMarker,
): Promise<void> {
  const note: AssembledNote = {
    version: marker.version,
    durationMs: Math.round((marker.totalSamples * 1000) / marker.sampleRate),
    file: `chapters/${marker.file}`,
  };
  await redis.hset(runKeys(prefix, run).assembly, `chapter:${index}`, JSON.stringify(note));
}

export async function writeChapterMarker(
  redis: RedisClient,
  prefix: string,
  run: string,
  outDir: string,
  index: number,
  marker: ChapterMarker,
): Promise<void> {
  await writeFileAtomic(join(outDir, MARKER_DIR), markerName(index), JSON.stringify(marker));
  await noteChapterAssembled(redis, prefix, run, index, marker);
}

export async function noteBookAssembled(
  redis: RedisClient,
  prefix: string,
  run: string,
  note: AssembledNote,
): Promise<void> {
  await redis.hset(runKeys(prefix, run).assembly, 'book', JSON.stringify(note));
}

/** The run's assembly notes: chapter index -> note, and the book's. */
export async function readAssemblyNotes(
  redis: RedisClient,
  prefix: string,
  run: string,
): Promise<{ chapters: Map<number, AssembledNote>; book: AssembledNote | undefined }> {
  const hash = await redis.hgetall(runKeys(prefix, run).assembly);
  const chapters = new Map<number, AssembledNote>();
  let book: AssembledNote | undefined;
  for (const [field, json] of Object.entries(hash)) {
    let note: AssembledNote;
    try {
      note = JSON.parse(json) as AssembledNote;
    } catch {
      continue;
    }
    if (field === 'book') book = note;
    else if (field.startsWith('chapter:')) chapters.set(Number(field.slice('chapter:'.length)), note);
  }
  return { chapters, book };
}
