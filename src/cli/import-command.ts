import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { importBook } from '../book/import-book.js';
import { parseChapterPattern } from '../book/read-book.js';
import { loadSettings } from '../settings.js';
import { defineCommand } from './command-args.js';

const HELP = `Usage: tts-batch import <book.epub|book.md|book.txt> [-o script.jsonl] [--chapter-pattern RE] [--force]
       npm run import -- <book> [-o script.jsonl]

Turns a book into a JSONL script to read, edit (voices per chapter, fixes) and enqueue: one row
per chunk of whole sentences (at most TTS_CHUNK_CHARS, default 1500), each chapter's title a row
of its own, every row with its \`chapter\`, \`chapter_index\` and \`kind\` (title or text).
Also writes <script>.book.json (title, author, language, chapters and their row ids) and the
EPUB's cover as <script>.cover.<ext>.

  EPUB      chapters from the table of contents (EPUB3 nav, else NCX, else h1/h2 headings);
            DRM-protected books, zip bombs and entries outside the archive are refused
  Markdown  # and ## headings start chapters; markup removed, link text kept, code skipped
  Text      lines like "Chapter 1", "CHAPTER ONE", "Part II" start chapters; blank lines
            separate paragraphs

Options:
  -o, --out FILE          the script to write (default: the book's name with .jsonl, beside it)
  --chapter-pattern RE    text books: lines matching RE (case-insensitive) start chapters
  --force                 replace an existing script (edits made in it are lost)
  -h, --help              this text
`;

const OPTIONS = {
  out: { type: 'string', short: 'o' },
  'chapter-pattern': { type: 'string' },
  force: { type: 'boolean' },
} as const;

export const runImportCommand = defineCommand(
  HELP,
  { options: OPTIONS, allowPositionals: true },
  async (parsed, context) => {
    const [book, ...extra] = parsed.positionals;
    if (book === undefined || extra.length > 0) {
      throw new UsageError(
        `${book === undefined ? 'Expected a book file' : `Expected one book file, got ${parsed.positionals.length}`}\n\n${HELP}`,
      );
    }
    const settings = loadSettings(context.env);
    const pattern = parsed.values['chapter-pattern'];
    const out = parsed.values.out;
    const imported = await importBook({
      bookPath: resolve(context.cwd, book),
      outPath: out === undefined ? undefined : resolve(context.cwd, out),
      chapterPattern: pattern === undefined ? undefined : parseChapterPattern(pattern),
      targetChars: settings.chunkChars,
      force: parsed.values.force === true,
    });
    for (const warning of imported.book.warnings) context.stderr.write(`warning: ${warning}\n`);
    const texts = imported.rows.filter((row) => row.kind === 'text');
    const chars = imported.rows.reduce((sum, row) => sum + row.text.length, 0);
    const { title, author } = imported.book;
    context.stdout.write(
      `${title ?? book}${author === undefined ? '' : `, by ${author}`}: ${imported.book.chapters.length} chapters, ` +
        `${imported.rows.length} rows (${texts.length} chunks, ${imported.rows.length - texts.length} titles), ${chars} characters\n` +
        `wrote ${imported.scriptPath}\n` +
        `      ${imported.bookInfoPath}\n` +
        (imported.coverPath === undefined ? '' : `      ${imported.coverPath}\n`) +
        `next: npm run enqueue -- ${imported.scriptPath} --dry-run\n`,
    );
    return 0;
  },
);
