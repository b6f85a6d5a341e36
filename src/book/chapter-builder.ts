import type { BookChapter } from './book.js';
import { normaliseParagraph } from './normalise-text.js';

/**
 * Collects chapters as a reader walks a text: paragraphs before the first heading form an
 * untitled opening chapter (titled `fallbackTitle`, not spoken); a heading without paragraphs
 * stays a chapter of its title alone.
 */
export function makeChapterBuilder(fallbackTitle: string) {
  const chapters: BookChapter[] = [];
  const warnings: string[] = [];
  let current: { title: string; titleSpoken: boolean; paragraphs: string[] } | undefined;
  let headings = 0;
  const close = () => {
    if (current === undefined) return;
    // A heading with nothing under it (a part's title page: "Part One") is still spoken.
    if (current.paragraphs.length > 0 || (current.titleSpoken && current.title !== ''))
      chapters.push(current);
    current = undefined;
  };
  return {
    heading(title: string): void {
      close();
      headings += 1;
      current = { title: normaliseParagraph(title), titleSpoken: true, paragraphs: [] };
    },
    paragraph(text: string): void {
      const paragraph = normaliseParagraph(text);
      if (paragraph === '') return;
      current ??= { title: fallbackTitle, titleSpoken: false, paragraphs: [] };
      current.paragraphs.push(paragraph);
    },
    /** The chapters, and the warnings (one chapter without any heading is a warning too). */
    finish(noHeadingWarning: string): { chapters: BookChapter[]; warnings: string[] } {
      close();
      if (headings === 0 && chapters.length > 0) warnings.push(noHeadingWarning);
      return { chapters, warnings };
    },
  };
}
