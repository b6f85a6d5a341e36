import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { ChaptersJson } from '../../src/assembly/chapters-json.js';
import { readWavInfo } from '../../src/audio/wav-file.js';
import { readBackM4b } from '../../src/audio/m4b-read-back.js';
import { ASSEMBLY_QUEUE } from '../../src/queue/keys.js';
import { finishedManifest, until } from './processes.js';

export const FFMPEG = '/usr/bin/ffmpeg';

const sentence = (chapter: number, at: number, word: string) =>
  `In chapter ${chapter} the ${word} narrator says sentence ${at} clearly, and then pauses for breath.`;

/** A Markdown book of `chapters` chapters of two paragraphs each; `edited` changes one paragraph's words. */
export function markdownBook(chapters: number, edited?: { chapter: number; paragraph: number }): string {
  return Array.from({ length: chapters }, (_, c) => c + 1)
    .map((chapter) => {
      const paragraphs = [0, 1].map((p) => {
        const word = edited?.chapter === chapter && edited.paragraph === p ? 'patient' : 'calm';
        return Array.from({ length: 4 }, (_, s) => sentence(chapter, p * 4 + s, word)).join(' ');
      });
      return `# Chapter ${chapter}\n\n${paragraphs.join('\n\n')}\n`;
    })
    .join('\n');
}

export function readChapters(outDir: string): ChaptersJson | undefined {
  const path = join(outDir, 'chapters.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as ChaptersJson) : undefined;
}

/** Waits for chapters.json (the book is done when it exists), optionally for a version other than `not`. */
export async function bookDone(outDir: string, not?: string): Promise<ChaptersJson> {
  let doc: ChaptersJson | undefined;
  await until(() => (doc = readChapters(outDir)) !== undefined && doc.version !== not, 'chapters.json', 6000);
  assert.ok(doc);
  return doc;
}

/** Temporary files of the assembly's outputs under a run directory (chapters, markers, the book's files). */
export async function tempFiles(dir: string, run: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  const ours = new RegExp(`^(chapters/|\\.tts-assembly/|\\.+(chapters\\.json|${run}\\.(m4b|srt|vtt)))`);
  return entries.filter((entry) => /\.tmp$|\.part$|\.ffmetadata\.txt$/.test(entry) && ours.test(entry));
}

/** Completed assembly jobs of the prefix, by id (each id once). */
export async function completedAssemblyJobs(redisUrl: string, prefix: string): Promise<Job[]> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(ASSEMBLY_QUEUE, { connection, prefix });
  try {
    return await queue.getJobs(['completed'], 0, -1);
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

type Cue = { start: number; end: number; text: string };

function parseTime(text: string): number {
  const match = /(\d+):(\d+):(\d+)[,.](\d+)/.exec(text);
  assert.ok(match, `a cue time: ${text}`);
  const [, h, m, s, ms] = match.map(Number) as [number, number, number, number, number];
  return ((h * 60 + m) * 60 + s) * 1000 + ms;
}

export function parseCues(text: string): Cue[] {
  return [...text.matchAll(/^(\S+) --> (\S+)\n(.+)$/gm)].map((match) => ({
    start: parseTime(match[1] ?? ''),
    end: parseTime(match[2] ?? ''),
    text: match[3] ?? '',
  }));
}

/**
 * What a finished audiobook must be: chapter files whose samples (plus the chapter pauses) make
 * the whole book, chapters.json starts and durations from them, the m4b's chapter marks as
 * ffmpeg reads them equal to chapters.json within 1 ms, its duration the sum of its parts, and
 * captions ordered and inside the audio.
 */
export async function checkAudiobook(
  outDir: string,
  run: string,
  chapterPauseMs: number,
): Promise<ChaptersJson> {
  const doc = readChapters(outDir);
  assert.ok(doc, 'chapters.json');
  let samples = 0;
  let sampleRate = 0;
  for (const [at, chapter] of doc.chapters.entries()) {
    const info = await readWavInfo(join(outDir, chapter.file));
    sampleRate = info.format.sampleRate;
    assert.ok(
      Math.abs(chapter.start_ms - (samples * 1000) / sampleRate) <= 0.5,
      `chapter ${chapter.index} start`,
    );
    samples += info.frames;
    if (at < doc.chapters.length - 1) samples += Math.round((chapterPauseMs * sampleRate) / 1000);
  }
  const totalMs = (samples * 1000) / sampleRate;
  assert.ok(Math.abs(doc.duration_ms - totalMs) <= 0.5, `book duration ${doc.duration_ms} vs ${totalMs}`);
  const summed = doc.chapters.reduce((sum, chapter) => sum + chapter.duration_ms, 0);
  assert.ok(
    Math.abs(summed - doc.duration_ms) <= doc.chapters.length,
    'chapter durations add up to the book',
  );

  assert.equal(doc.m4b, `${run}.m4b`);
  const read = await readBackM4b(FFMPEG, join(outDir, doc.m4b));
  assert.equal(read.chapters.length, doc.chapters.length);
  read.chapters.forEach((mark, at) => {
    const chapter = doc.chapters[at];
    assert.ok(chapter);
    assert.equal(mark.title, chapter.title);
    assert.ok(
      Math.abs(mark.startMs - chapter.start_ms) <= 1,
      `mark ${at} start ${mark.startMs} vs ${chapter.start_ms}`,
    );
    assert.ok(
      Math.abs(mark.endMs - (chapter.start_ms + chapter.duration_ms)) <= 1,
      `mark ${at} end ${mark.endMs} vs ${chapter.start_ms + chapter.duration_ms}`,
    );
  });
  // The edit list counts in the movie timescale (ms): the played length equals the parts within 1 ms.
  const playedMs = (read.timing.presentedSamples * 1000) / read.timing.timescale;
  assert.ok(Math.abs(playedMs - totalMs) <= 1, `the m4b plays ${playedMs} ms, the parts make ${totalMs}`);

  for (const name of [`${run}.srt`, `${run}.vtt`]) {
    const cues = parseCues(readFileSync(join(outDir, name), 'utf8'));
    assert.ok(cues.length >= doc.chapters.length, `${name}: cues`);
    cues.forEach((cue, at) => {
      assert.ok(cue.start < cue.end, `${name} cue ${at} has a length`);
      assert.ok(at === 0 || cue.start >= (cues[at - 1]?.end ?? 0), `${name} cue ${at} in order`);
      assert.ok(cue.end <= doc.duration_ms + 1, `${name} cue ${at} inside the audio`);
    });
  }
  return doc;
}

/** A run's manifest.json entries once it has `rows` of them. */
export async function runFinished(outDir: string, rows: number): Promise<Record<string, unknown>[]> {
  let entries: Record<string, unknown>[] | undefined;
  await until(() => (entries = finishedManifest(outDir, rows)) !== undefined, 'the run to finish');
  return entries ?? [];
}
