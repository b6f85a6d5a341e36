import type { Book } from './book.js';
import { makeChapterBuilder } from './chapter-builder.js';
import { readMarkdownFrontMatter } from './markdown-front-matter.js';
import { markdownInlineText } from './markdown-inline.js';

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const ATX_HEADING = /^ {0,3}(#{1,6})(?:\s+(.*?))?(?:\s+#+)?\s*$/;
const SETEXT_UNDERLINE = /^ {0,3}(=+|-+)\s*$/;
const RULE = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
const LIST_ITEM = /^ {0,3}(?:[-*+]|\d{1,9}[.)])\s+/;
const DEFINITION = /^ {0,3}\[[^\]]+\]:\s/;
const TABLE_SEPARATOR = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;

type Block =
  | { readonly kind: 'heading'; readonly level: number; readonly text: string }
  | { readonly kind: 'paragraph'; readonly text: string };

/** The blocks of a Markdown document: headings and paragraphs, code and front matter left out. */
function markdownBlocks(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length > 0) blocks.push({ kind: 'paragraph', text: paragraph.join(' ') });
    paragraph = [];
  };
  let at = 0;
  if (lines[0]?.trim() === '---') {
    const end = lines.findIndex((line, index) => index > 0 && /^(---|\.\.\.)\s*$/.test(line));
    if (end > 0) at = end + 1;
  }
  let blankBefore = true;
  for (; at < lines.length; at += 1) {
    const line = lines[at] ?? '';
    const fence = FENCE.exec(line);
    if (fence) {
      flush();
      const marker = fence[1] ?? '```';
      at += 1;
      while (at < lines.length && !(lines[at] ?? '').trimStart().startsWith(marker)) at += 1;
      blankBefore = true;
      continue;
    }
    if (line.trim() === '') {
      flush();
      blankBefore = true;
      continue;
    }
    const indentedCode = blankBefore && paragraph.length === 0 && /^(?: {4}|\t)/.test(line);
    blankBefore = false;
    if (indentedCode) {
      while (at + 1 < lines.length && /^(?: {4}|\t)|^\s*$/.test(lines[at + 1] ?? '')) at += 1;
      blankBefore = true;
      continue;
    }
    const heading = ATX_HEADING.exec(line);
    if (heading) {
      flush();
      blocks.push({
        kind: 'heading',
        level: heading[1]?.length ?? 1,
        text: markdownInlineText(heading[2] ?? ''),
      });
      continue;
    }
    const underline = SETEXT_UNDERLINE.exec(line);
    if (underline && paragraph.length > 0) {
      const text = paragraph.join(' ');
      paragraph = [];
      blocks.push({ kind: 'heading', level: underline[1]?.startsWith('=') ? 1 : 2, text });
      continue;
    }
    if (
      RULE.test(line) ||
      DEFINITION.test(line) ||
      TABLE_SEPARATOR.test(line) ||
      /^\s*\[\^[^\]]+\]:/.test(line)
    ) {
      flush();
      continue;
    }
    let content = line.replace(/^ {0,3}(?:>\s?)+/, '');
    if (LIST_ITEM.test(content)) {
      flush();
      content = content.replace(LIST_ITEM, '');
    }
    if (content.includes('|') && /^\s*\|/.test(content)) {
      content = content
        .split('|')
        .map((cell) => cell.trim())
        .filter((cell) => cell !== '')
        .join(', ');
    }
    paragraph.push(markdownInlineText(content));
  }
  flush();
  return blocks;
}

/**
 * A Markdown book: `#` and `##` headings start chapters (a lone `#` heading at the top, above
 * `##` chapters, is the book's title), deeper headings are spoken as paragraphs; markup removed,
 * link text kept, code blocks, images, footnotes and front matter skipped. The front matter's
 * `author` is the book's author, and its `title` the title when no lone `#` heading gives one.
 */
export function readMarkdownBook(source: string, fallbackTitle: string): Book {
  const blocks = markdownBlocks(source);
  const level1 = blocks.filter((block) => block.kind === 'heading' && block.level === 1);
  const first = blocks.find((block) => block.kind === 'heading');
  const titleBlock =
    level1.length === 1 &&
    first === level1[0] &&
    blocks.some((block) => block.kind === 'heading' && block.level === 2)
      ? first
      : undefined;
  const front = readMarkdownFrontMatter(source);
  const title = titleBlock?.text ?? front.title;
  const builder = makeChapterBuilder(title ?? fallbackTitle);
  for (const block of blocks) {
    if (block === titleBlock) continue;
    if (block.kind === 'heading' && block.level <= 2) builder.heading(block.text);
    else builder.paragraph(block.text);
  }
  const { chapters, warnings } = builder.finish(
    'no `#` or `##` heading found: the whole file is one chapter',
  );
  return { title, author: front.author, language: undefined, cover: undefined, chapters, warnings };
}
