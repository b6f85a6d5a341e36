import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { strToU8, zipSync } from 'fflate';
import type { Book } from '../src/book/book.js';
import { bookScriptRows } from '../src/book/book-script.js';
import { CHUNK_CAP_CHARS } from '../src/book/chunk-limits.js';
import { readEpubBook } from '../src/book/epub-reader.js';
import { speechWeight } from '../src/book/speech-weight.js';
import { buildEpub } from './helpers/book-epub.js';

const titles = (book: Book) => book.chapters.map((chapter) => chapter.title);

const CHAPTER_ONE = `<h1>Chapter One</h1>
  <p>It was a dark night<a epub:type="noteref" href="#n1">1</a>, and   the
  rain fell.</p>
  <p>Mr. Brown said<sup>2</sup> nothing.<img src="x.png" alt="a picture"/></p>
  <aside epub:type="footnote" id="n1"><p>A footnote never spoken.</p></aside>
  <script>var spoken = false;</script>`;
const CHAPTER_TWO = `<section><h1>Chapter Two</h1><p>Morning came.</p><blockquote><p>A quoted letter.</p></blockquote></section>`;

describe('EPUB reader', () => {
  it('reads an EPUB3 with only nav.xhtml: titles, order, clean paragraphs, metadata and cover', () => {
    const cover = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    const epub = buildEpub({
      title: 'The Night Book',
      author: 'Jane Writer',
      files: [
        { href: 'text/ch1.xhtml', body: CHAPTER_ONE },
        { href: 'text/ch2.xhtml', body: CHAPTER_TWO },
      ],
      nav: [
        ['text/ch1.xhtml', 'Chapter One'],
        ['text/ch2.xhtml', 'Chapter Two'],
      ],
      coverHref: 'images/cover.jpg',
      extra: { 'OEBPS/images/cover.jpg': cover },
    });
    const book = readEpubBook(epub, 'night.epub', 'night');
    assert.equal(book.title, 'The Night Book');
    assert.equal(book.author, 'Jane Writer');
    assert.equal(book.language, 'en');
    assert.deepEqual(book.cover?.bytes, cover);
    assert.equal(book.cover?.mediaType, 'image/jpeg');
    assert.deepEqual(titles(book), ['Chapter One', 'Chapter Two']);
    assert.deepEqual(book.chapters[0]?.paragraphs, [
      'It was a dark night, and the rain fell.',
      'Mr. Brown said nothing.',
    ]);
    assert.deepEqual(book.chapters[1]?.paragraphs, ['Morning came.', 'A quoted letter.']);
    assert.deepEqual(book.warnings, []);
  });

  it('keeps a part whose page holds only its title, as a chapter of its title alone', () => {
    const epub = buildEpub({
      files: [
        { href: 'part1.xhtml', body: '<h1>Part One</h1>' },
        { href: 'ch1.xhtml', body: '<h2>The Start</h2><p>Begin.</p>' },
      ],
      nav: [
        ['part1.xhtml', 'Part One'],
        ['ch1.xhtml', 'The Start'],
      ],
    });
    const book = readEpubBook(epub, 'parts.epub', 'parts');
    assert.deepEqual(
      book.chapters.map((chapter) => [chapter.title, chapter.paragraphs]),
      [
        ['Part One', []],
        ['The Start', ['Begin.']],
      ],
    );
    const ids = bookScriptRows(book, { targetChars: 1500 }).map((row) => row.id);
    assert.deepEqual(ids.slice(0, 2), ['c01-title', 'c02-title']);
    assert.match(ids[2] ?? '', /^c02-[0-9a-f]{8}$/);
    assert.equal(ids.length, 3);
  });

  it('reads an EPUB2 with only an NCX', () => {
    const epub = buildEpub({
      files: [
        { href: 'a.xhtml', body: '<h2>I. Departure</h2><p>They left at dawn.</p>' },
        { href: 'b.xhtml', body: '<p>They arrived at dusk.</p>' },
        { href: 'c.xhtml', body: '<h2>III</h2><p>Home again.</p>' },
      ],
      ncx: [
        ['a.xhtml', 'I. Departure'],
        ['b.xhtml', 'II. Arrival'],
        ['c.xhtml', 'III. Return'],
      ],
    });
    const book = readEpubBook(epub, 'trip.epub', 'trip');
    assert.deepEqual(titles(book), ['I. Departure', 'II. Arrival', 'III. Return']);
    assert.deepEqual(
      book.chapters.map((chapter) => chapter.paragraphs),
      [['They left at dawn.'], ['They arrived at dusk.'], ['Home again.']],
    );
  });

  it('splits chapters that share one XHTML file at their anchors', () => {
    const body = `<div id="front"><p>Front matter.</p></div>
      <section id="ch1"><h2>The First</h2><p>One.</p></section>
      <h2 id="ch2">The Second</h2><p>Two.</p><p>Two again.</p>
      <section id="ch3"><h2>The Third</h2><p>Three.</p></section>`;
    const epub = buildEpub({
      files: [{ href: 'all.xhtml', body }],
      nav: [
        ['all.xhtml#ch1', 'The First'],
        ['all.xhtml#ch2', 'The Second'],
        ['all.xhtml#ch3', 'The Third'],
      ],
    });
    const book = readEpubBook(epub, 'one-file.epub', 'one-file');
    assert.deepEqual(titles(book), ['A Test Book', 'The First', 'The Second', 'The Third']);
    assert.equal(book.chapters[0]?.titleSpoken, false);
    assert.deepEqual(
      book.chapters.map((chapter) => chapter.paragraphs),
      [['Front matter.'], ['One.'], ['Two.', 'Two again.'], ['Three.']],
    );
  });

  it('takes chapters from h1/h2 headings in the spine when there is no table of contents', () => {
    const epub = buildEpub({
      files: [
        { href: 'a.xhtml', body: '<h1>Alpha</h1><p>A text.</p><h3>A section</h3><p>More.</p>' },
        { href: 'b.xhtml', body: '<h2>Beta</h2><p>B text.</p>' },
      ],
    });
    const book = readEpubBook(epub, 'plain.epub', 'plain');
    assert.deepEqual(titles(book), ['Alpha', 'Beta']);
    assert.deepEqual(book.chapters[0]?.paragraphs, ['A text.', 'A section', 'More.']);
  });

  it('refuses a DRM-protected EPUB, and reads one with only font obfuscation', () => {
    const encryption = (algorithm: string) => `<?xml version="1.0"?>
<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" xmlns:enc="http://www.w3.org/2001/04/xmlenc#">
  <enc:EncryptedData><enc:EncryptionMethod Algorithm="${algorithm}"/>
  <enc:CipherData><enc:CipherReference URI="OEBPS/ch1.xhtml"/></enc:CipherData></enc:EncryptedData>
</encryption>`;
    const files = [{ href: 'ch1.xhtml', body: '<h1>One</h1><p>Text.</p>' }];
    const nav = [['ch1.xhtml', 'One']] as const;
    const locked = buildEpub({
      files,
      nav,
      extra: { 'META-INF/encryption.xml': encryption('http://www.w3.org/2001/04/xmlenc#aes128-cbc') },
    });
    assert.throws(() => readEpubBook(locked, 'locked.epub', 'locked'), {
      name: 'UsageError',
      message: /locked\.epub: refused: the book is DRM-protected .*aes128-cbc.*DRM-free copy/,
    });
    for (const marker of ['META-INF/rights.xml', 'META-INF/sinf.xml']) {
      const rights = buildEpub({ files, nav, extra: { [marker]: '<rights/>' } });
      assert.throws(() => readEpubBook(rights, 'rights.epub', 'rights'), {
        name: 'UsageError',
        message: new RegExp(`rights\\.epub: refused: the book is DRM-protected \\(${marker}\\)`),
      });
    }
    const fonts = buildEpub({
      files,
      nav,
      extra: { 'META-INF/encryption.xml': encryption('http://www.idpf.org/2008/embedding') },
    });
    assert.deepEqual(titles(readEpubBook(fonts, 'fonts.epub', 'fonts')), ['One']);
  });

  it('refuses a zip with an entry outside the archive', () => {
    for (const name of ['../evil.xhtml', 'OEBPS/../../evil.xhtml', '/etc/evil']) {
      const epub = buildEpub({ files: [{ href: 'a.xhtml', body: '<p>x</p>' }], extra: { [name]: 'gotcha' } });
      assert.throws(() => readEpubBook(epub, 'evil.epub', 'evil'), {
        name: 'UsageError',
        message: new RegExp(
          `evil\\.epub: refused: the archive has an entry outside it \\(\`${name.replace(/[.]/g, '\\.')}\`\\)`,
        ),
      });
    }
  });

  it('refuses a zip bomb before inflating it', () => {
    const bomb = zipSync({
      'OEBPS/zeros.xhtml': [new Uint8Array(32 * 1024 * 1024), { level: 9 }],
      mimetype: strToU8('application/epub+zip'),
    });
    assert.ok(bomb.length < 200_000);
    assert.throws(() => readEpubBook(bomb, 'bomb.epub', 'bomb'), {
      name: 'UsageError',
      message: /bomb\.epub: refused: .*zip bomb/,
    });
  });

  it('makes chunks that join back to each chapter and stay within the cap', () => {
    const sentence = (at: number) =>
      `Sentence number ${at} walks along the quiet river, and Dr. Lee follows it home.`;
    const long = Array.from({ length: 80 }, (_, at) => sentence(at)).join(' ');
    const epub = buildEpub({
      files: [{ href: 'a.xhtml', body: `<h1>Long</h1><p>${long}</p><p>Short.</p>` }],
      nav: [['a.xhtml', 'Long']],
    });
    const book = readEpubBook(epub, 'long.epub', 'long');
    const rows = bookScriptRows(book, { targetChars: 1500 });
    assert.deepEqual(rows[0], {
      id: 'c01-title',
      chapter_index: 1,
      chapter: 'Long',
      kind: 'title',
      text: 'Long',
    });
    const chunks = rows.filter((row) => row.kind === 'text');
    assert.ok(chunks.length >= 4);
    for (const chunk of chunks) assert.ok(speechWeight(chunk.text) <= Math.min(1500, CHUNK_CAP_CHARS));
    const joined = chunks.map((chunk) => chunk.text.replace(/\s+/g, ' ')).join(' ');
    assert.equal(joined, book.chapters[0]?.paragraphs.join(' '));
  });
});
