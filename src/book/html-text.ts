import { isTag, isText, type AnyNode, type Element } from 'domhandler';
import { attribute, findFirst, localName, parseXhtml } from './xml-dom.js';

/** What a reader needs of an XHTML file, in document order. */
export type HtmlEvent =
  | { readonly kind: 'anchor'; readonly id: string }
  | { readonly kind: 'heading'; readonly level: number; readonly text: string }
  | { readonly kind: 'paragraph'; readonly text: string };

/** Never spoken: code, media, asides and superscripts (footnote marks), navigation, forms. */
const SKIPPED: ReadonlySet<string> = new Set([
  'head',
  'script',
  'style',
  'template',
  'noscript',
  'sup',
  'aside',
  'img',
  'image',
  'svg',
  'math',
  'picture',
  'audio',
  'video',
  'iframe',
  'object',
  'embed',
  'canvas',
  'map',
  'nav',
  'rt',
  'rp',
  'button',
  'input',
  'select',
  'textarea',
  'code',
  'pre',
  'table',
]);

/** Elements whose start and end are paragraph boundaries. */
const BLOCKS: ReadonlySet<string> = new Set([
  'p',
  'div',
  'section',
  'article',
  'header',
  'footer',
  'main',
  'body',
  'blockquote',
  'li',
  'ul',
  'ol',
  'dl',
  'dt',
  'dd',
  'figure',
  'figcaption',
  'hr',
  'address',
  'center',
  'hgroup',
]);

const NOTE_TYPES = [
  'noteref',
  'footnote',
  'endnote',
  'rearnote',
  'footnotes',
  'endnotes',
  'rearnotes',
  'annoref',
  'pagebreak',
];
const NOTE_ROLES = [
  'doc-noteref',
  'doc-footnote',
  'doc-endnote',
  'doc-endnotes',
  'doc-pagebreak',
  'doc-backlink',
];

function skipped(element: Element): boolean {
  if (SKIPPED.has(localName(element)) || attribute(element, 'hidden') !== undefined) return true;
  const types = (attribute(element, 'epub:type') ?? '').split(/\s+/);
  const role = attribute(element, 'role') ?? '';
  return types.some((type) => NOTE_TYPES.includes(type)) || NOTE_ROLES.includes(role);
}

/**
 * The text of an XHTML file as headings and paragraphs, with an `anchor` event where an element
 * carries an id that `isTarget` wants (a chapter starting in the middle of the file). Footnote
 * references and notes, `sup`, `aside`, scripts, styles, images, code is skipped;
 * `br` is a space; block elements end paragraphs.
 */
export function htmlEvents(xhtml: string, isTarget: (id: string) => boolean): HtmlEvent[] {
  const roots = parseXhtml(xhtml);
  const body = findFirst(roots, 'body');
  const events: HtmlEvent[] = [];
  let inline = '';
  const flush = () => {
    if (inline.trim() !== '') events.push({ kind: 'paragraph', text: inline });
    inline = '';
  };
  const inlineText = (nodes: readonly AnyNode[]): string =>
    nodes
      .map((node) => {
        if (isText(node)) return node.data;
        if (!isTag(node) || skipped(node)) return '';
        if (localName(node) === 'br') return ' ';
        return inlineText(node.children);
      })
      .join('');
  const visit = (nodes: readonly AnyNode[]) => {
    for (const node of nodes) {
      if (isText(node)) {
        inline += node.data;
        continue;
      }
      if (!isTag(node) || skipped(node)) continue;
      const name = localName(node);
      const id = attribute(node, 'id') ?? (name === 'a' ? attribute(node, 'name') : undefined);
      if (id !== undefined && isTarget(id)) {
        flush();
        events.push({ kind: 'anchor', id });
      }
      const heading = /^h([1-6])$/.exec(name);
      if (heading) {
        flush();
        events.push({ kind: 'heading', level: Number(heading[1]), text: inlineText(node.children) });
        continue;
      }
      if (name === 'br') {
        inline += ' ';
        continue;
      }
      const block = BLOCKS.has(name);
      if (block) flush();
      visit(node.children);
      if (block) flush();
    }
  };
  visit(body === undefined ? roots : body.children);
  flush();
  return events;
}
