import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { UsageError } from '../errors.js';
import type { Book } from './book.js';
import { readEpubBook } from './epub-reader.js';
import { readMarkdownBook } from './markdown-text.js';
import { DEFAULT_CHAPTER_PATTERN, readPlainTextBook } from './plain-text.js';

/** The book formats, by file extension. */
export const BOOK_FORMATS = {
  '.epub': 'epub',
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.txt': 'text',
} as const;
export type BookFormat = (typeof BOOK_FORMATS)[keyof typeof BOOK_FORMATS];

/** The format of `path` by its extension, or undefined when it is not a book. */
export function bookFormatOf(path: string): BookFormat | undefined {
  const extension = extname(path).toLowerCase();
  return Object.hasOwn(BOOK_FORMATS, extension)
    ? BOOK_FORMATS[extension as keyof typeof BOOK_FORMATS]
    : undefined;
}

export type ReadBookOptions = {
  /** Lines of a `.txt` book that start a chapter (`--chapter-pattern`). */
  readonly chapterPattern?: RegExp | undefined;
};

function decodeText(bytes: Uint8Array, path: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch (error) {
    throw new UsageError(`${path}: not UTF-8 text; save it as UTF-8 and import it again`, { cause: error });
  }
}

/** Reads an EPUB, Markdown or text book into chapters (UsageError on anything it refuses). */
export async function readBook(path: string, options: ReadBookOptions = {}): Promise<Book> {
  const format = bookFormatOf(path);
  if (format === undefined) {
    throw new UsageError(`${path}: not a book: expected ${Object.keys(BOOK_FORMATS).join(', ')}`);
  }
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new UsageError(
      `${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      { cause: error },
    );
  }
  const fallbackTitle = basename(path, extname(path));
  if (format === 'epub') return readEpubBook(bytes, path, fallbackTitle);
  if (format === 'markdown') return readMarkdownBook(decodeText(bytes, path), fallbackTitle);
  return readPlainTextBook(
    decodeText(bytes, path),
    fallbackTitle,
    options.chapterPattern ?? DEFAULT_CHAPTER_PATTERN,
  );
}

/** `--chapter-pattern` as a regular expression, matched case-insensitively against each line. */
export function parseChapterPattern(source: string): RegExp {
  try {
    return new RegExp(source, 'iu');
  } catch (error) {
    throw new UsageError(
      `Expected \`--chapter-pattern\` to be a regular expression, got \`${source}\`: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
