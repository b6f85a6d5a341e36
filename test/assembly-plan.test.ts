import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChapterMarker } from '../src/assembly/assembly-state.js';
import { bookLayout, MixedFormatsError } from '../src/assembly/book-layout.js';
import { formatRunChapters, type RunChapters } from '../src/assembly/chapter-progress.js';
import { chapterFileName, chapterGapsMs, groupChapters } from '../src/assembly/chapter-plan.js';
import { bookScriptRows } from '../src/book/book-script.js';
import { renderRunChapters } from '../src/dashboard/run-chapters.js';

const row = (id: string, meta: Record<string, string>) => ({ id, text: `Text of ${id}.`, meta });

test('rows group into chapters by chapter_index, else by chapter, in order of first appearance; a row without one follows the row before', () => {
  const groups = groupChapters([
    row('intro', {}),
    row('a1', { chapter: 'Lesson A' }),
    row('b1', { chapter: 'Lesson B' }),
    row('b2', { chapter: '' }),
    row('a2', { chapter: 'Lesson A' }),
    row('c01-title', { chapter_index: '3', chapter: 'Same', kind: 'title' }),
    row('c04-x', { chapter_index: '4', chapter: 'Same', paragraph_end: 'false' }),
  ]);
  assert.deepEqual(
    groups.map((group) => [group.title, group.rows.map((r) => `${r.id}:${r.kind}`)]),
    [
      ['', ['intro:text']],
      ['Lesson A', ['a1:text', 'a2:text']],
      ['Lesson B', ['b1:text', 'b2:text']],
      ['Same', ['c01-title:title']],
      ['Same', ['c04-x:text']],
    ],
  );
  assert.equal(groups[4]?.rows[0]?.paragraphEnd, false);
  assert.equal(groups[3]?.rows[0]?.paragraphEnd, undefined);
});

test('chapter file names: a slug of the title, numbered as wide as the count needs', () => {
  assert.equal(chapterFileName(1, 3, "The Wolf's Pretexts"), '01-the-wolfs-pretexts.wav');
  assert.equal(chapterFileName(7, 120, 'Ça, c’est la vie!'), '007-ca-cest-la-vie.wav');
  assert.equal(chapterFileName(2, 2, '第二章'), '02-chapter.wav');
  assert.equal(chapterFileName(1, 1, 'x'.repeat(80)).length, '01-'.length + 48 + '.wav'.length);
});

test('the title pause follows a spoken title, none a chunk whose paragraph goes on, the paragraph pause every other row but the last', () => {
  const pauses = { titleMs: 900, paragraphMs: 400, chapterMs: 2000, trimPadMs: 100 };
  const chapter = {
    index: 1,
    title: 'One',
    file: '01-one.wav',
    rows: [
      { id: 't', kind: 'title' as const, text: 'One' },
      { id: 'a', kind: 'text' as const, text: 'A.', paragraphEnd: false as const },
      { id: 'b', kind: 'text' as const, text: 'B.' },
      { id: 'c', kind: 'text' as const, text: 'C.' },
    ],
  };
  assert.deepEqual(chapterGapsMs(chapter, pauses), [900, 0, 400]);
});

const marker = (file: string, totalSamples: number, sampleRate = 24_000): ChapterMarker => ({
  version: file,
  file,
  sampleRate,
  channels: 1,
  totalSamples,
  clips: [{ id: `${file}-clip`, startSample: 10, samples: totalSamples - 10, trimmed: true }],
});

test("the book's layout: chapters end to end with the chapter pause in samples; spans run to the next start and add up", () => {
  const layout = bookLayout([marker('a', 24_000), marker('b', 12_001), marker('c', 5)], 1500);
  assert.deepEqual(layout.chapters, [
    { startSample: 0, samples: 24_000 + 36_000 },
    { startSample: 60_000, samples: 12_001 + 36_000 },
    { startSample: 108_001, samples: 5 },
  ]);
  assert.equal(layout.totalSamples, 108_006);
  assert.deepEqual(
    layout.clips.map((clip) => clip.startSample),
    [10, 60_010, 108_011],
  );
  assert.throws(() => bookLayout([marker('a', 10), marker('b', 10, 48_000)], 0), MixedFormatsError);
});

test('status and the dashboard show each chapter: rows done of rows, minutes, assembled or not, and the m4b', () => {
  const progress: RunChapters = {
    chapters: [
      {
        index: 1,
        title: 'One <b>',
        rows: 3,
        done: 3,
        assembled: true,
        audioMinutes: 1.5,
        file: 'chapters/01-one-b.wav',
      },
      {
        index: 2,
        title: 'Two',
        rows: 4,
        done: 1,
        assembled: false,
        audioMinutes: null,
        file: 'chapters/02-two.wav',
      },
    ],
    m4b: null,
    bookAssembled: false,
  };
  assert.equal(
    formatRunChapters(progress),
    'chapters: 1 of 2 assembled\n' +
      '    1  3/3 rows  1.50 min  assembled chapters/01-one-b.wav  One <b>\n' +
      '    2  1/4 rows  not assembled  Two\n',
  );
  const html = renderRunChapters({ ...progress, m4b: 'book.m4b', bookAssembled: true });
  assert.match(html, /chapters: 1 of 2 assembled · audiobook: <code class="m4b">book\.m4b<\/code>/);
  assert.match(html, /<td>One &lt;b&gt;<\/td><td class="n">3\/3<\/td><td class="n">1\.50<\/td>/);
  assert.match(html, /<td class="n">1\/4<\/td><td class="n"><\/td><td class="assembled">not assembled<\/td>/);
  assert.equal(renderRunChapters(undefined), '');
});

test("a book's long paragraph cut into chunks: every chunk but its last says paragraph_end false", () => {
  const sentence = (at: number) =>
    `Sentence number ${at} walks along the quiet river, and then it turns home.`;
  const long = Array.from({ length: 60 }, (_, at) => sentence(at)).join(' ');
  const rows = bookScriptRows(
    {
      title: 'T',
      author: undefined,
      language: 'en',
      cover: undefined,
      warnings: [],
      chapters: [{ title: 'One', titleSpoken: true, paragraphs: [long, 'A short paragraph after it.'] }],
    },
    { targetChars: 1500 },
  );
  const texts = rows.filter((row) => row.kind === 'text');
  assert.ok(texts.length >= 4, `chunks: ${texts.length}`);
  assert.deepEqual(
    texts.map((row) => row.paragraph_end),
    [...Array<false>(texts.length - 2).fill(false), undefined, undefined],
  );
});
