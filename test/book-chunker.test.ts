import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHUNK_CAP_CHARS } from '../src/book/chunk-limits.js';
import { chunkChapter, chunkParagraph } from '../src/book/chunker.js';
import { splitSentences } from '../src/book/sentences.js';
import { speechWeight } from '../src/book/speech-weight.js';
import { loadSettings } from '../src/settings.js';

const collapse = (text: string) => text.replace(/\s+/g, ' ').trim();

function sentence(seed: number, words = 12): string {
  const vocabulary = ['river', 'lantern', 'quietly', 'north', 'bread', 'window', 'old', 'promise', 'stone'];
  const picked = Array.from(
    { length: words },
    (_, at) => vocabulary[(seed * 7 + at * 3) % vocabulary.length],
  );
  const text = picked.join(' ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

function paragraph(seed: number, sentences: number): string {
  return Array.from({ length: sentences }, (_, at) => sentence(seed + at)).join(' ');
}

describe('sentences', () => {
  it('keep abbreviations and initials inside a sentence, and join back to the text', () => {
    const text =
      'Mr. Smith met Dr. Watson at 5 p.m. on Baker St. today. J. R. R. Tolkien wrote, e.g. this. Did he? Yes!';
    const sentences = splitSentences(text);
    assert.deepEqual(
      sentences.map((s) => s.trim()),
      [
        'Mr. Smith met Dr. Watson at 5 p.m. on Baker St. today.',
        'J. R. R. Tolkien wrote, e.g. this.',
        'Did he?',
        'Yes!',
      ],
    );
    assert.equal(sentences.join(''), text);
  });

  it('split CJK text at its full stops', () => {
    assert.deepEqual(splitSentences('今天天气很好。我们去公园吧！', 'zh'), [
      '今天天气很好。',
      '我们去公园吧！',
    ]);
  });
});

describe('speech weight', () => {
  it('counts CJK characters three times, code points once', () => {
    assert.equal(speechWeight('abc'), 3);
    assert.equal(speechWeight('天气'), 6);
    assert.equal(speechWeight('😀a'), 2);
  });
});

describe('chunker', () => {
  const options = { targetChars: 1500 };

  it('packs whole sentences up to the target, evenly, and loses nothing', () => {
    const text = paragraph(1, 40);
    const chunks = chunkParagraph(text, options);
    assert.ok(chunks.length >= 2);
    for (const chunk of chunks) {
      assert.ok(speechWeight(chunk) <= 1500, `chunk of ${speechWeight(chunk)}`);
      assert.match(chunk, /\.$/, 'ends at a sentence end');
    }
    assert.equal(chunks.join(' '), collapse(text));
    const sizes = chunks.map(speechWeight);
    assert.ok(Math.min(...sizes) > Math.max(...sizes) / 2, `even sizes: ${sizes.join(', ')}`);
  });

  it('cuts a sentence longer than the cap at clause punctuation, then at words', () => {
    const clauses = Array.from({ length: 80 }, (_, at) => `the ${at}th clause runs on and on`).join(', ');
    const words = Array.from({ length: 700 }, (_, at) => `word${at}`).join(' ');
    for (const text of [`${clauses}.`, `${words}.`]) {
      const chunks = chunkParagraph(text, { targetChars: 2000 });
      assert.ok(chunks.length >= 2);
      for (const chunk of chunks) assert.ok(speechWeight(chunk) <= CHUNK_CAP_CHARS);
      assert.equal(chunks.join(' '), text);
    }
    const clauseChunks = chunkParagraph(`${clauses}.`, { targetChars: 2000 });
    for (const chunk of clauseChunks.slice(0, -1)) assert.match(chunk, /,$/);
  });

  it('keeps a sentence between target and cap whole', () => {
    const long = `Word ${Array.from({ length: 300 }, () => 'word').join(' ')}.`;
    const text = `Short one. ${long} Another short one.`;
    const chunks = chunkParagraph(text, { targetChars: 500 });
    assert.ok(chunks.includes(long), chunks.join(' | '));
  });

  it('never crosses a paragraph end, except to join tiny paragraphs', () => {
    const paragraphs = [paragraph(1, 5), paragraph(2, 6), '"Yes."', '"No."', '"Maybe."', paragraph(3, 8)];
    const chunks = chunkChapter(paragraphs, options);
    for (const chunk of chunks) {
      if (chunk.firstParagraph !== chunk.lastParagraph) {
        for (let p = chunk.firstParagraph; p <= chunk.lastParagraph; p += 1) {
          assert.ok(speechWeight(paragraphs[p] ?? '') <= 240);
        }
      }
    }
    assert.equal(chunks.map((chunk) => collapse(chunk.text)).join(' '), collapse(paragraphs.join('\n\n')));
    assert.ok(chunks.length < paragraphs.length, 'tiny paragraphs share chunks');
  });

  it('an edit of one paragraph changes only the chunks holding it', () => {
    const paragraphs = Array.from({ length: 30 }, (_, at) =>
      at % 5 === 4 ? `"Line ${at}."` : paragraph(at, 3 + (at % 17)),
    );
    const before = chunkChapter(paragraphs, options);
    const edited = [...paragraphs];
    edited[12] = `${paragraphs[12]} One more sentence, added by the editor.`;
    const after = chunkChapter(edited, options);
    const beforeTexts = new Set(before.map((chunk) => chunk.text));
    const afterTexts = new Set(after.map((chunk) => chunk.text));
    const gone = before.filter((chunk) => !afterTexts.has(chunk.text));
    const added = after.filter((chunk) => !beforeTexts.has(chunk.text));
    assert.ok(gone.length > 0 && added.length > 0);
    for (const chunk of [...gone, ...added]) {
      assert.ok(
        chunk.firstParagraph <= 12 && chunk.lastParagraph >= 12,
        `chunk of ${chunk.firstParagraph}-${chunk.lastParagraph}`,
      );
    }
  });
});

describe('TTS_CHUNK_CHARS', () => {
  it('defaults to 1500 and refuses more than the hard cap', () => {
    assert.equal(loadSettings({}).chunkChars, 1500);
    assert.equal(loadSettings({ TTS_CHUNK_CHARS: '800' }).chunkChars, 800);
    assert.throws(() => loadSettings({ TTS_CHUNK_CHARS: '2500' }), /TTS_CHUNK_CHARS.*at most 2000.*2500/);
  });
});
