import type { Book, BookCover } from './book.js';
import { makeChapterBuilder } from './chapter-builder.js';
import { refuseDrm } from './epub-drm.js';
import { readEpubPackage, type EpubPackage } from './epub-package.js';
import { readEpubToc, type TocEntry } from './epub-toc.js';
import { htmlEvents } from './html-text.js';
import { openZipArchive, type ZipArchive } from './zip-archive.js';

const HTML_TYPES: ReadonlySet<string> = new Set([
  'application/xhtml+xml',
  'text/html',
  'application/xml',
  'text/x-oeb1-document',
]);

/** Letters and digits only, lower case: "Chapter 1: The Storm" contains "CHAPTER 1". */
const comparable = (text: string) => text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');

function readCover(zip: ZipArchive, pkg: EpubPackage): BookCover | undefined {
  if (pkg.cover === undefined) return undefined;
  const bytes = zip.read(pkg.cover.path);
  return bytes === undefined ? undefined : { mediaType: pkg.cover.mediaType, name: pkg.cover.path, bytes };
}

/** TOC entries by file, then by fragment ('' for the file's start); a later entry for the same place wins. */
function entriesByFile(entries: readonly TocEntry[]): Map<string, Map<string, TocEntry>> {
  const byFile = new Map<string, Map<string, TocEntry>>();
  for (const entry of entries) {
    const inFile = byFile.get(entry.path) ?? new Map<string, TocEntry>();
    inFile.set(entry.fragment ?? '', entry);
    byFile.set(entry.path, inFile);
  }
  return byFile;
}

/**
 * An EPUB (2 or 3) read into chapters: refused when DRM-protected, a zip bomb, or holding entries
 * outside the archive. Chapters follow the table of contents (nav, else NCX) in spine order, a
 * file holding several chapters split at their anchors; without either, `h1`/`h2` headings in
 * the spine start chapters. Headings at a chapter's start that repeat its title are not spoken
 * twice.
 */
export function readEpubBook(bytes: Uint8Array, file: string, fallbackTitle: string): Book {
  const zip = openZipArchive(bytes, file);
  refuseDrm(zip, file);
  const pkg = readEpubPackage(zip, file);
  const toc = readEpubToc(zip, pkg);
  const byFile = entriesByFile(toc.entries);
  const builder = makeChapterBuilder(pkg.title ?? fallbackTitle);
  const warnings: string[] = [];
  const used = new Set<TocEntry>();
  let title = '';
  let paragraphsInChapter = 0;
  const startChapter = (entryTitle: string) => {
    builder.heading(entryTitle);
    title = entryTitle;
    paragraphsInChapter = 0;
  };
  const paragraph = (text: string) => {
    builder.paragraph(text);
    paragraphsInChapter += 1;
  };
  for (const item of pkg.spine) {
    if (!HTML_TYPES.has(item.mediaType)) continue;
    const xhtml = zip.readText(item.path);
    if (xhtml === undefined) {
      warnings.push(`${item.path} is in the spine but not in the archive: left out`);
      continue;
    }
    const starts = byFile.get(item.path);
    const fileStart = starts?.get('');
    if (fileStart !== undefined) {
      used.add(fileStart);
      startChapter(fileStart.title);
    }
    for (const event of htmlEvents(xhtml, (id) => starts?.has(id) === true)) {
      if (event.kind === 'anchor') {
        const entry = starts?.get(event.id);
        if (entry !== undefined && !used.has(entry)) {
          used.add(entry);
          startChapter(entry.title);
        }
      } else if (event.kind === 'paragraph') {
        paragraph(event.text);
      } else if (toc.source === 'none') {
        if (event.level <= 2) startChapter(event.text);
        else paragraph(event.text);
      } else {
        const repeatsTitle =
          paragraphsInChapter === 0 &&
          comparable(event.text) !== '' &&
          comparable(title).includes(comparable(event.text));
        if (!repeatsTitle) paragraph(event.text);
      }
    }
  }
  for (const entry of toc.entries) {
    if (!used.has(entry))
      warnings.push(
        `chapter "${entry.title}": anchor #${entry.fragment ?? ''} not found in ${entry.path}; its text stays in the chapter before`,
      );
  }
  const built = builder.finish(
    'no table of contents and no h1/h2 heading found: the whole book is one chapter',
  );
  return {
    title: pkg.title,
    author: pkg.author,
    language: pkg.language,
    cover: readCover(zip, pkg),
    chapters: built.chapters,
    warnings: [...warnings, ...built.warnings],
  };
}
