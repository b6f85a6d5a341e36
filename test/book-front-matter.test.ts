import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readMarkdownFrontMatter } from '../src/book/markdown-front-matter.js';
import { readMarkdownBook } from '../src/book/markdown-text.js';

describe('Markdown front matter', () => {
  it('gives the author, and the title when no lone # heading does', () => {
    const book = readMarkdownBook(
      '---\ntitle: \'The Wind\'\'s Book\'\nauthor: "Ann \\"A.\\" Author" \nlanguage: en\n---\n\n## One\n\nText.\n\n## Two\n\nMore.\n',
      'file-name',
    );
    assert.equal(book.title, "The Wind's Book");
    assert.equal(book.author, 'Ann "A." Author');
    assert.deepEqual(
      book.chapters.map((chapter) => [chapter.title, chapter.paragraphs]),
      [
        ['One', ['Text.']],
        ['Two', ['More.']],
      ],
    );
  });

  it('yields to a lone # title, and is not spoken', () => {
    const book = readMarkdownBook(
      '---\ntitle: Meta\nauthor: Me # a comment\n---\n# Real\n\n## A\n\nText.\n',
      'x',
    );
    assert.equal(book.title, 'Real');
    assert.equal(book.author, 'Me');
    assert.deepEqual(book.chapters[0]?.paragraphs, ['Text.']);
  });

  it('is only a block opened by --- on the first line and closed', () => {
    assert.deepEqual(readMarkdownFrontMatter('# T\n\n---\nauthor: Nobody\n---\n'), {
      title: undefined,
      author: undefined,
    });
    assert.deepEqual(readMarkdownFrontMatter('---\nauthor: Unclosed\n\nText.\n'), {
      title: undefined,
      author: undefined,
    });
    assert.deepEqual(readMarkdownFrontMatter('\uFEFF---\r\nauthor:\r\ntitle: CRLF\r\n...\r\n'), {
      title: 'CRLF',
      author: undefined,
    });
  });
});
