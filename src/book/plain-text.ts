import type { Book } from './book.js';
import { makeChapterBuilder } from './chapter-builder.js';

const NUMBER_WORDS =
  'one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?|thirty|forty|fifty';

/**
 * Lines that start a chapter when no `--chapter-pattern` is given: `Chapter 1`, `CHAPTER ONE`,
 * `Chapter XII. The Storm`, `Chapter 3: Home`, `Part II`, `Book 3`, and a bare Prologue,
 * Epilogue, Preface, Introduction or Afterword. Matched case-insensitively against each trimmed
 * line. A title after the number needs punctuation before it, so that a line of prose ("Part two
 * of the plan was simple") is not taken for a heading.
 */
export const DEFAULT_CHAPTER_PATTERN = new RegExp(
  `^(?:(?:chapter|part|book)\\s+(?:\\d+|[ivxlcdm]+|${NUMBER_WORDS})(?:\\.|\\s*[.:—–-]\\s*.{1,80})?|(?:prologue|epilogue|preface|introduction|afterword)[.:]?)$`,
  'iu',
);

/** Longest line taken as a heading: a long line matching the pattern is a sentence, not a title. */
const MAX_HEADING_CHARS = 100;

/**
 * A plain-text book: blank lines separate paragraphs (the lines of one paragraph are joined, so
 * hard-wrapped text reads as prose); a line matching `chapterPattern` starts a chapter. The short
 * lines right under a heading in the same paragraph (`CHAPTER I.` / `The Storm`) join its title.
 */
export function readPlainTextBook(
  source: string,
  fallbackTitle: string,
  chapterPattern = DEFAULT_CHAPTER_PATTERN,
): Book {
  const builder = makeChapterBuilder(fallbackTitle);
  const paragraphs = source
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/);
  for (const block of paragraphs) {
    const lines = block
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '');
    let body = lines;
    const first = lines[0];
    if (first !== undefined && first.length <= MAX_HEADING_CHARS && chapterPattern.test(first)) {
      const rest = lines.slice(1);
      const subtitle =
        rest.length > 0 && rest.length <= 2 && rest.every((line) => line.length <= 80) ? rest : [];
      builder.heading([first, ...subtitle].join(': ').replace(/[.:]\s*:\s/, ': '));
      body = subtitle.length > 0 ? [] : rest;
    }
    if (body.length > 0) builder.paragraph(body.join(' '));
  }
  const { chapters, warnings } = builder.finish(
    'no chapter heading found (such as "Chapter 1"): the whole file is one chapter',
  );
  return { title: undefined, author: undefined, language: undefined, cover: undefined, chapters, warnings };
}
