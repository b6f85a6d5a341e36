import { access } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../output/run-files.js';
import type { Book } from './book.js';
import { bookScriptRows, type BookRow } from './book-script.js';
import { readBook } from './read-book.js';

export type ImportBookOptions = {
  readonly bookPath: string;
  /** Default: the book's path with `.jsonl` for its extension. */
  readonly outPath?: string | undefined;
  readonly chapterPattern?: RegExp | undefined;
  /** `TTS_CHUNK_CHARS`. */
  readonly targetChars: number;
  /** Replace an existing script (the user's edits in it are lost). */
  readonly force?: boolean;
};

export type ImportedBook = {
  readonly book: Book;
  readonly rows: readonly BookRow[];
  readonly scriptPath: string;
  /** `<script>.book.json`: title, author, language, cover and chapters, for the audiobook later. */
  readonly bookInfoPath: string;
  readonly coverPath: string | undefined;
};

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

function stemOf(path: string): string {
  return basename(path, extname(path));
}

/** Reads a book and writes its script (JSONL, one row per line) and the book's details beside it. */
export async function importBook(options: ImportBookOptions): Promise<ImportedBook> {
  const scriptPath = options.outPath ?? join(dirname(options.bookPath), `${stemOf(options.bookPath)}.jsonl`);
  if (!/\.(jsonl|ndjson)$/i.test(scriptPath)) {
    throw new UsageError(`Expected \`-o\` to name a .jsonl file, got \`${scriptPath}\``);
  }
  if (options.force !== true && (await exists(scriptPath))) {
    throw new UsageError(
      `${scriptPath} exists (edits made in it would be lost): pass --force to replace it, or -o another file`,
    );
  }
  const book = await readBook(options.bookPath, { chapterPattern: options.chapterPattern });
  if (book.chapters.length === 0) throw new UsageError(`${options.bookPath}: no text found to speak`);
  const rows = bookScriptRows(book, { targetChars: options.targetChars });
  const dir = dirname(scriptPath);
  const stem = stemOf(scriptPath);
  let coverPath: string | undefined;
  if (book.cover !== undefined) {
    const extension = extname(book.cover.name).toLowerCase() || '.img';
    coverPath = await writeFileAtomic(dir, `${stem}.cover${extension}`, book.cover.bytes);
  }
  const chapters = book.chapters.map((chapter, index) => ({
    index: index + 1,
    title: chapter.title,
    rows: rows.filter((row) => row.chapter_index === index + 1).map((row) => row.id),
  }));
  const info = {
    source: basename(options.bookPath),
    title: book.title ?? stemOf(options.bookPath),
    author: book.author ?? null,
    language: book.language ?? null,
    cover: coverPath === undefined ? null : basename(coverPath),
    chunk_chars: options.targetChars,
    chapters,
  };
  const bookInfoPath = await writeFileAtomic(dir, `${stem}.book.json`, `${JSON.stringify(info, null, 2)}\n`);
  await writeFileAtomic(dir, basename(scriptPath), rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
  return { book, rows, scriptPath, bookInfoPath, coverPath };
}
