import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { readChapterMarker } from '../src/assembly/assembly-state.js';
import { readBackM4b } from '../src/audio/m4b-read-back.js';
import {
  bookDone,
  checkAudiobook,
  completedAssemblyJobs,
  FFMPEG,
  markdownBook,
  tempFiles,
} from './helpers/assembly.js';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { buildEpub } from './helpers/book-epub.js';
import { runCli } from './helpers/cli.js';
import { nightKit } from './helpers/night-kit.js';
import { runFinished } from './helpers/assembly.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});
const kit = nightKit(cleanups);
const PAUSES = { TTS_PAUSE_TITLE_MS: '900', TTS_PAUSE_PARAGRAPH_MS: '400', TTS_PAUSE_CHAPTER_MS: '1500' };

test('a 3-chapter Markdown book becomes chapter WAVs, an m4b whose marks equal chapters.json, and captions; an edited paragraph re-makes only its chunks, its chapter and the book', async () => {
  const n = await kit.night();
  const env = { ...n.env, ...PAUSES, PATH: process.env['PATH'] ?? '' };
  const dir = join(n.target.outRoot, 'books');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'tale.md'), markdownBook(3));
  const outDir = join(n.target.outRoot, 'tale');

  const first = await runCli(['enqueue', 'tale.md', '--run', 'tale'], env, dir);
  assert.equal(first.code, 0, first.stderr);
  assert.match(
    first.stdout,
    /\nchapters: 3 \(the workers join them into chapters\/ and tale\.m4b; the book is done when .*tale\/chapters\.json exists\)\n/,
  );
  kit.worker(env);
  const doc = await bookDone(outDir);
  await checkAudiobook(outDir, 'tale', 1500);
  assert.deepEqual(
    doc.chapters.map((chapter) => [chapter.index, chapter.title, chapter.file]),
    [
      [1, 'Chapter 1', 'chapters/01-chapter-1.wav'],
      [2, 'Chapter 2', 'chapters/02-chapter-2.wav'],
      [3, 'Chapter 3', 'chapters/03-chapter-3.wav'],
    ],
  );
  const rows = doc.chapters.flatMap((chapter) => chapter.rows);
  assert.equal(rows[0], 'c01-title');
  const entries = await runFinished(outDir, rows.length);
  assert.deepEqual(
    entries.map((entry) => entry['id']),
    rows,
  );
  assert.equal(assertBilledAtMostRecorded(n.sim.ledger(), entries), 0);
  const jobs = await completedAssemblyJobs(n.redis.url, n.env['TTS_QUEUE_PREFIX'] ?? '');
  assert.deepEqual(jobs.map((job) => job.returnvalue as unknown).sort(), Array(4).fill('assembled'));
  assert.deepEqual(await tempFiles(outDir, 'tale'), []);

  const status = await runCli(['status', '--run', 'tale'], env, dir);
  assert.match(status.stdout, /chapters: 3 of 3 assembled {2}audiobook: tale\.m4b/);
  assert.match(
    status.stdout,
    /1 {2}\d+\/\d+ rows {2}[\d.]+ min {2}assembled chapters\/01-chapter-1\.wav {2}Chapter 1/,
  );

  // Edit one paragraph of chapter 2: only its chunks are made again, chapter 2 and the book re-assembled.
  const submitsBefore = n.sim.ledger().submits.length;
  const markersBefore = await Promise.all([1, 2, 3].map((index) => readChapterMarker(outDir, index)));
  const wavBefore = await stat(join(outDir, 'chapters/01-chapter-1.wav'));
  await writeFile(join(dir, 'tale.md'), markdownBook(3, { chapter: 2, paragraph: 1 }));
  const second = await runCli(['enqueue', 'tale.md', '--run', 'tale'], env, dir);
  assert.equal(second.code, 0, second.stderr);
  const edited = await bookDone(outDir, doc.version);
  await checkAudiobook(outDir, 'tale', 1500);
  const changed = edited.chapters.flatMap((chapter) => chapter.rows).filter((id) => !rows.includes(id));
  assert.ok(
    changed.length >= 1 && changed.every((id) => id.startsWith('c02-')),
    `changed rows: ${changed.join(', ')}`,
  );
  assert.equal(
    n.sim.ledger().submits.length - submitsBefore,
    changed.length,
    'only the edited chunks are paid for',
  );
  const markersAfter = await Promise.all([1, 2, 3].map((index) => readChapterMarker(outDir, index)));
  assert.equal(markersAfter[0]?.version, markersBefore[0]?.version);
  assert.notEqual(markersAfter[1]?.version, markersBefore[1]?.version);
  assert.equal(markersAfter[2]?.version, markersBefore[2]?.version);
  assert.equal((await stat(join(outDir, 'chapters/01-chapter-1.wav'))).mtimeMs, wavBefore.mtimeMs);
  const srt = await readFile(join(outDir, 'tale.srt'), 'utf8');
  assert.match(srt, /patient narrator/);
  const after = await completedAssemblyJobs(n.redis.url, n.env['TTS_QUEUE_PREFIX'] ?? '');
  assert.equal(
    after.filter((job) => job.returnvalue === 'assembled').length,
    6,
    'chapter 2 and the book again',
  );
  const final = await runFinished(outDir, edited.chapters.flatMap((chapter) => chapter.rows).length);
  assert.equal(assertBilledAtMostRecorded(n.sim.ledger(), final, 'current'), 0);
});

test("an EPUB's title, author and cover become the m4b's tags and cover art", async () => {
  const n = await kit.night();
  const env = { ...n.env, PATH: process.env['PATH'] ?? '', TTS_PAUSE_CHAPTER_MS: '700' };
  const dir = join(n.target.outRoot, 'books');
  await mkdir(dir, { recursive: true });
  const coverFile = join(dir, 'cover.jpg');
  await promisify(execFile)(FFMPEG, [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'color=c=navy:s=64x64',
    '-frames:v',
    '1',
    coverFile,
  ]);
  const paragraph = (word: string) =>
    `<p>The ${word} lantern swung in the wind, and the keeper watched the harbour until dawn.</p>`;
  const epub = buildEpub({
    title: 'The Lantern Keeper',
    author: 'Ann Author',
    files: [
      { href: 'one.xhtml', body: `<h1>Night</h1>${paragraph('old')}` },
      { href: 'two.xhtml', body: `<h1>Dawn</h1>${paragraph('new')}` },
    ],
    nav: [
      ['one.xhtml', 'Night'],
      ['two.xhtml', 'Dawn'],
    ],
    coverHref: 'images/cover.jpg',
    extra: { 'OEBPS/images/cover.jpg': await readFile(coverFile) },
  });
  await writeFile(join(dir, 'keeper.epub'), epub);
  const enqueued = await runCli(['enqueue', 'keeper.epub', '--run', 'keeper'], env, dir);
  assert.equal(enqueued.code, 0, enqueued.stderr);
  kit.worker(env);
  const outDir = join(n.target.outRoot, 'keeper');
  const doc = await bookDone(outDir);
  await checkAudiobook(outDir, 'keeper', 700);
  assert.equal(doc.title, 'The Lantern Keeper');
  assert.equal(doc.author, 'Ann Author');
  const read = await readBackM4b(FFMPEG, join(outDir, 'keeper.m4b'));
  assert.equal(read.tags['title'], 'The Lantern Keeper');
  assert.equal(read.tags['artist'], 'Ann Author');
  assert.equal(read.hasCover, true);
  const entries = await runFinished(outDir, doc.chapters.flatMap((chapter) => chapter.rows).length);
  assert.equal(assertBilledAtMostRecorded(n.sim.ledger(), entries), 0);
});
