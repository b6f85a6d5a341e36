import { copyFile, readFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { readBook } from '../book/read-book.js';
import { writeFileAtomic } from '../output/run-files.js';

/** The audiobook's tags, the cover copied into the run directory. */
export type BookTags = {
  readonly title: string | undefined;
  readonly author: string | undefined;
  /** File name in the run directory. */
  readonly cover: string | undefined;
};

const COVER_STEM = '.tts-cover';
const COVER_TYPES = /^image\/(jpeg|png)$/i;
const COVER_FILES = /\.(jpe?g|png)$/i;

/**
 * Title, author and cover for the audiobook: from the book itself when the script is a book; from
 * the `<stem>.book.json` (and its cover) that `import` wrote next to a script when there is one;
 * else none.
 */
export async function readBookTags(
  script: string,
  format: 'book' | 'csv' | 'jsonl',
  outDir: string,
): Promise<BookTags> {
  if (format === 'book') {
    const book = await readBook(script, {});
    let cover: string | undefined;
    // An m4b's cover art is a JPEG or a PNG; another image is left out rather than failing the book.
    if (book.cover !== undefined && COVER_TYPES.test(book.cover.mediaType)) {
      cover = `${COVER_STEM}${extname(book.cover.name).toLowerCase() || '.img'}`;
      await writeFileAtomic(outDir, cover, book.cover.bytes);
    }
    return { title: book.title, author: book.author, cover };
  }
  const stem = basename(script, extname(script));
  const info = await readFile(join(dirname(script), `${stem}.book.json`), 'utf8').then(
    (text) => JSON.parse(text) as { title?: unknown; author?: unknown; cover?: unknown },
    () => undefined,
  );
  if (info === undefined) return { title: undefined, author: undefined, cover: undefined };
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const coverName = text(info.cover);
  let cover: string | undefined;
  if (coverName !== undefined && basename(coverName) === coverName && COVER_FILES.test(coverName)) {
    cover = `${COVER_STEM}${extname(coverName).toLowerCase() || '.img'}`;
    const copied = await copyFile(join(dirname(script), coverName), join(outDir, cover)).then(
      () => true,
      () => false,
    );
    if (!copied) cover = undefined;
  }
  return { title: text(info.title), author: text(info.author), cover };
}
