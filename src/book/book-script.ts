import { hash } from 'node:crypto';
import type { Book } from './book.js';
import { chunkChapter } from './chunker.js';

/** One line of the script a book becomes: a row of the product's JSONL format, its metadata included. */
export type BookRow = {
  readonly id: string;
  /** 1-based, in reading order. */
  readonly chapter_index: number;
  readonly chapter: string;
  /** `title`: the chapter's title spoken on its own; `text`: a chunk of its paragraphs. */
  readonly kind: 'title' | 'text';
  readonly text: string;
  /**
   * `false` on a chunk whose paragraph goes on in the next chunk (a long paragraph cut between
   * sentences): the chunks are joined without a paragraph pause. Absent otherwise.
   */
  readonly paragraph_end?: false;
};

export type BookScriptOptions = {
  /** `TTS_CHUNK_CHARS`. */
  readonly targetChars: number;
};

/**
 * The rows of a book, in order. Each chapter's title is a row of its own (`cNN-title`: a pause
 * can follow it), then its chunks. A chunk's id is `cNN-` and the first 8 hex characters of the
 * SHA-256 of its text (`-2`, `-3` for a repeated text in the same chapter): an edited paragraph
 * changes the ids of the chunks holding it and no other, so re-enqueueing the edited book
 * re-synthesises only those.
 */
export function bookScriptRows(book: Book, options: BookScriptOptions): BookRow[] {
  const rows: BookRow[] = [];
  const width = Math.max(2, String(book.chapters.length).length);
  book.chapters.forEach((chapter, index) => {
    const chapterIndex = index + 1;
    const prefix = `c${String(chapterIndex).padStart(width, '0')}`;
    const base = { chapter_index: chapterIndex, chapter: chapter.title };
    if (chapter.titleSpoken && chapter.title !== '') {
      rows.push({ id: `${prefix}-title`, ...base, kind: 'title', text: chapter.title });
    }
    const seen = new Map<string, number>();
    const chunks = chunkChapter(chapter.paragraphs, {
      targetChars: options.targetChars,
      locale: book.language ?? 'en',
    });
    chunks.forEach((chunk, at) => {
      const digest = hash('sha256', chunk.text, 'hex').slice(0, 8);
      const count = (seen.get(digest) ?? 0) + 1;
      seen.set(digest, count);
      const id = count === 1 ? `${prefix}-${digest}` : `${prefix}-${digest}-${count}`;
      const continues = (chunks[at + 1]?.firstParagraph ?? Infinity) <= chunk.lastParagraph;
      rows.push({
        id,
        ...base,
        kind: 'text',
        text: chunk.text,
        ...(continues ? { paragraph_end: false } : {}),
      });
    });
  });
  return rows;
}
