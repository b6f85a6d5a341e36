import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bookScriptRows } from '../src/book/book-script.js';
import { readMarkdownBook } from '../src/book/markdown-text.js';
import { readPlainTextBook } from '../src/book/plain-text.js';
import { parseChapterPattern } from '../src/book/read-book.js';

const MARKDOWN = `---
title: front matter is not spoken
---
# The Garden Book

## Seeds

Plant the **seeds** in *spring*, as [the almanac](https://example.com/almanac "Almanac") says.
Water them \`daily\`.

![a sketch](sketch.png)

\`\`\`js
console.log('never spoken');
\`\`\`

- First, dig.
- Then, wait[^1].

> A gardener's proverb.

[^1]: A footnote, not spoken.

## Harvest

### Late summer

Pick what is <em>ripe</em> &amp; leave the rest.
`;

describe('Markdown books', () => {
  it('start chapters at ## under a lone # title, remove markup, keep link text, skip code', () => {
    const book = readMarkdownBook(MARKDOWN, 'garden');
    assert.equal(book.title, 'The Garden Book');
    assert.deepEqual(
      book.chapters.map((chapter) => [chapter.title, chapter.paragraphs]),
      [
        [
          'Seeds',
          [
            'Plant the seeds in spring, as the almanac says. Water them daily.',
            'First, dig.',
            'Then, wait.',
            "A gardener's proverb.",
          ],
        ],
        ['Harvest', ['Late summer', 'Pick what is ripe & leave the rest.']],
      ],
    );
    assert.deepEqual(book.warnings, []);
  });

  it('keep underscores inside words, remove them around emphasis', () => {
    const book = readMarkdownBook('# A\n\nCall snake_case_name with _care_ and __force__.\n', 'x');
    assert.deepEqual(book.chapters[0]?.paragraphs, ['Call snake_case_name with care and force.']);
  });

  it('start chapters at both # and ## when there are several #', () => {
    const book = readMarkdownBook(
      '# One\n\nText one.\n\n## One and a half\n\nText.\n\n# Two\n\nText two.\n',
      'x',
    );
    assert.deepEqual(
      book.chapters.map((chapter) => chapter.title),
      ['One', 'One and a half', 'Two'],
    );
  });

  it('without a heading: one chapter and a warning', () => {
    const book = readMarkdownBook('Just some *notes*.\n\nAnd more.\n', 'notes');
    assert.deepEqual(
      book.chapters.map((chapter) => [chapter.title, chapter.titleSpoken, chapter.paragraphs]),
      [['notes', false, ['Just some notes.', 'And more.']]],
    );
    assert.match(book.warnings.join('\n'), /no `#` or `##` heading found: the whole file is one chapter/);
  });
});

const TEXT = `The Project Preamble, before any chapter.

CHAPTER ONE

It was a bright cold day in April,
and the clocks were striking thirteen.

He walked home.

Part two of the plan was simple: he would
wait until dark.

Chapter 2. The Walk

The road was long.

PART II
The Return

Home at last.
`;

describe('plain-text books', () => {
  it('start chapters at Chapter 1 / CHAPTER ONE / Part II lines; blank lines separate paragraphs', () => {
    const book = readPlainTextBook(TEXT, 'clocks');
    assert.deepEqual(
      book.chapters.map((chapter) => [chapter.title, chapter.titleSpoken, chapter.paragraphs]),
      [
        ['clocks', false, ['The Project Preamble, before any chapter.']],
        [
          'CHAPTER ONE',
          true,
          [
            'It was a bright cold day in April, and the clocks were striking thirteen.',
            'He walked home.',
            'Part two of the plan was simple: he would wait until dark.',
          ],
        ],
        ['Chapter 2. The Walk', true, ['The road was long.']],
        ['PART II: The Return', true, ['Home at last.']],
      ],
    );
    assert.deepEqual(book.warnings, []);
  });

  it('take --chapter-pattern instead', () => {
    const book = readPlainTextBook(
      'Lesson A\n\nFirst.\n\nLesson B\n\nSecond.\n',
      'course',
      parseChapterPattern('^lesson [a-z]$'),
    );
    assert.deepEqual(
      book.chapters.map((chapter) => [chapter.title, chapter.paragraphs]),
      [
        ['Lesson A', ['First.']],
        ['Lesson B', ['Second.']],
      ],
    );
    assert.throws(() => parseChapterPattern('('), { name: 'UsageError', message: /--chapter-pattern.*`\(`/ });
  });

  it('without a heading: one chapter and a warning', () => {
    const book = readPlainTextBook('A short story.\n\nThe end.\n', 'story');
    assert.equal(book.chapters.length, 1);
    assert.match(book.warnings.join('\n'), /no chapter heading found/);
  });

  it('an edited paragraph changes only the rows holding it', () => {
    const paragraph = (at: number) =>
      Array.from(
        { length: 4 + (at % 9) },
        (_, s) => `Paragraph ${at} has sentence ${s}, which goes on a little while.`,
      ).join(' ');
    const chapterText = (edit: boolean) =>
      Array.from({ length: 40 }, (_, at) =>
        edit && at === 21 ? `${paragraph(at)} An added sentence.` : paragraph(at),
      ).join('\n\n');
    const source = (edit: boolean) =>
      `Chapter 1\n\n${chapterText(edit)}\n\nChapter 2\n\n${chapterText(false)}\n`;
    const before = bookScriptRows(readPlainTextBook(source(false), 'b'), { targetChars: 600 });
    const after = bookScriptRows(readPlainTextBook(source(true), 'b'), { targetChars: 600 });
    const beforeIds = new Set(before.map((row) => row.id));
    const afterIds = new Set(after.map((row) => row.id));
    const gone = before.filter((row) => !afterIds.has(row.id));
    const added = after.filter((row) => !beforeIds.has(row.id));
    assert.ok(gone.length > 0 && added.length > 0);
    for (const row of [...gone, ...added]) assert.match(row.text, /Paragraph 21 /);
    assert.equal(new Set(after.map((row) => row.id)).size, after.length, 'ids are unique');
  });
});
