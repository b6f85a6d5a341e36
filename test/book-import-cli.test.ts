import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { buildEpub } from './helpers/book-epub.js';
import { runCli } from './helpers/cli.js';

const BIN = resolve('bin/tts-batch.js');
// Enqueue's dry run needs no Redis: an unreachable one proves it is never asked.
const ENV = { REDIS_URL: 'redis://127.0.0.1:1', TTS_QUEUE_PREFIX: 'book-import-cli' };

type Row = { id: string; chapter_index: number; chapter: string; kind: string; text: string };

const paragraph = (chapter: number, at: number) =>
  Array.from(
    { length: 12 },
    (_, s) => `In chapter ${chapter}, paragraph ${at} says sentence ${s} out loud, and then it rests.`,
  ).join(' ');

describe('tts-batch import', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tts-book-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('turns an EPUB into a script that enqueue --dry-run accepts (the real CLI, end to end)', async () => {
    const chapters = [1, 2, 3].map((chapter) => ({
      href: `ch${chapter}.xhtml`,
      body: `<h1>Chapter ${chapter}</h1>${[0, 1, 2].map((at) => `<p>${paragraph(chapter, at)}</p>`).join('')}`,
    }));
    await writeFile(
      join(dir, 'tale.epub'),
      buildEpub({
        title: 'A Tale',
        author: 'Ann Author',
        files: chapters,
        nav: chapters.map((file, at) => [file.href, `Chapter ${at + 1}`] as const),
        coverHref: 'cover.jpg',
        extra: { 'OEBPS/cover.jpg': new Uint8Array([0xff, 0xd8, 0xff]) },
      }),
    );
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [BIN, 'import', 'tale.epub', '-o', 'tale-script.jsonl'],
      {
        cwd: dir,
        env: { ...process.env, ...ENV },
      },
    );
    assert.match(stdout, /A Tale, by Ann Author: 3 chapters, \d+ rows \(\d+ chunks, 3 titles\)/);
    assert.match(stdout, /next: npm run enqueue -- .*tale-script\.jsonl --dry-run/);
    const rows = (await readFile(join(dir, 'tale-script.jsonl'), 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Row);
    assert.deepEqual(rows[0], {
      id: 'c01-title',
      chapter_index: 1,
      chapter: 'Chapter 1',
      kind: 'title',
      text: 'Chapter 1',
    });
    assert.deepEqual([...new Set(rows.map((row) => row.chapter))], ['Chapter 1', 'Chapter 2', 'Chapter 3']);
    for (const chapter of [1, 2, 3]) {
      const texts = rows
        .filter((row) => row.chapter_index === chapter && row.kind === 'text')
        .map((row) => row.text.replace(/\s+/g, ' '));
      assert.equal(texts.join(' '), [0, 1, 2].map((at) => paragraph(chapter, at)).join(' '));
    }
    const info = JSON.parse(await readFile(join(dir, 'tale-script.book.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.equal(info['title'], 'A Tale');
    assert.equal(info['author'], 'Ann Author');
    assert.equal(info['cover'], 'tale-script.cover.jpg');
    assert.deepEqual(await readFile(join(dir, 'tale-script.cover.jpg')), Buffer.from([0xff, 0xd8, 0xff]));

    const dry = await runCli(['enqueue', join(dir, 'tale-script.jsonl'), '--dry-run'], ENV, dir);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`rows: +${rows.length}\\n`));
  });

  it('imports Markdown and text books; warns when a text has no heading; keeps an existing script unless --force', async () => {
    await writeFile(
      join(dir, 'notes.md'),
      '# Notes\n\n## First\n\nOne [link](http://x).\n\n## Second\n\nTwo.\n',
    );
    const markdown = await runCli(['import', 'notes.md'], ENV, dir);
    assert.equal(markdown.code, 0, markdown.stderr);
    assert.match(markdown.stdout, /Notes: 2 chapters, 4 rows/);
    const dry = await runCli(['enqueue', 'notes.jsonl', '--dry-run'], ENV, dir);
    assert.equal(dry.code, 0, dry.stderr);

    const again = await runCli(['import', 'notes.md'], ENV, dir);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /notes\.jsonl exists \(edits made in it would be lost\): pass --force/);
    assert.equal((await runCli(['import', 'notes.md', '--force'], ENV, dir)).code, 0);

    await writeFile(join(dir, 'story.txt'), 'Once upon a time.\n\nThe end.\n');
    const text = await runCli(['import', 'story.txt'], ENV, dir);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stderr, /warning: no chapter heading found/);
    const rows = (await readFile(join(dir, 'story.jsonl'), 'utf8')).trimEnd().split('\n');
    assert.deepEqual(
      rows.map((line) => (JSON.parse(line) as Row).kind),
      ['text'],
    );
  });

  it('refuses a DRM-protected EPUB and an unknown format with exit 2', async () => {
    await writeFile(
      join(dir, 'locked.epub'),
      buildEpub({
        files: [{ href: 'a.xhtml', body: '<p>x</p>' }],
        extra: {
          'META-INF/encryption.xml':
            '<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><EncryptedData xmlns="http://www.w3.org/2001/04/xmlenc#"><EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes256-cbc"/></EncryptedData></encryption>',
        },
      }),
    );
    const locked = await runCli(['import', 'locked.epub'], ENV, dir);
    assert.equal(locked.code, 2);
    assert.match(locked.stderr, /locked\.epub: refused: the book is DRM-protected/);
    const pdf = await runCli(['import', 'book.pdf'], ENV, dir);
    assert.equal(pdf.code, 2);
    assert.match(pdf.stderr, /book\.pdf: not a book: expected \.epub, \.md, \.markdown, \.txt/);
  });
});
