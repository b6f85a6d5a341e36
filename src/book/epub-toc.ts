import { resolveHref } from './epub-paths.js';
import type { EpubPackage } from './epub-package.js';
import {
  attribute,
  childrenNamed,
  findAll,
  localName,
  parseXhtml,
  parseXml,
  textOf,
  type Element,
} from './xml-dom.js';
import type { ZipArchive } from './zip-archive.js';

/** One entry of a table of contents: where a chapter starts. */
export type TocEntry = {
  readonly title: string;
  readonly path: string;
  /** The `#` anchor inside the file; undefined: the chapter starts with the file. */
  readonly fragment: string | undefined;
};

const clean = (text: string) => text.replace(/\s+/g, ' ').trim();

/** The EPUB3 navigation document's `toc` nav (every level, in order). */
function navEntries(zip: ZipArchive, pkg: EpubPackage): TocEntry[] {
  if (pkg.nav === undefined) return [];
  const text = zip.readText(pkg.nav.path);
  if (text === undefined) return [];
  const navs = findAll(parseXhtml(text), (element) => localName(element) === 'nav');
  const toc =
    navs.find((nav) => (attribute(nav, 'epub:type') ?? '').split(/\s+/).includes('toc')) ??
    navs.find((nav) => attribute(nav, 'role') === 'doc-toc') ??
    navs[0];
  if (toc === undefined) return [];
  const navPath = pkg.nav.path;
  return findAll(
    [toc],
    (element) => localName(element) === 'a' && attribute(element, 'href') !== undefined,
  ).flatMap((anchor) => {
    const title = clean(textOf(anchor));
    const target = resolveHref(navPath, attribute(anchor, 'href') ?? '');
    return title === '' ? [] : [{ title, ...target }];
  });
}

/** The EPUB2 NCX's navMap (every level, in order). */
function ncxEntries(zip: ZipArchive, pkg: EpubPackage): TocEntry[] {
  if (pkg.ncx === undefined) return [];
  const text = zip.readText(pkg.ncx.path);
  if (text === undefined) return [];
  const ncxPath = pkg.ncx.path;
  const points = findAll(parseXml(text), (element) => localName(element) === 'navpoint');
  return points.flatMap((point: Element) => {
    const label = childrenNamed(point, 'navlabel')[0];
    const content = childrenNamed(point, 'content')[0];
    const src = content === undefined ? undefined : attribute(content, 'src');
    const title = label === undefined ? '' : clean(textOf(label));
    return title === '' || src === undefined ? [] : [{ title, ...resolveHref(ncxPath, src) }];
  });
}

/**
 * The book's table of contents: the EPUB3 nav first, then the NCX (several readers return an
 * empty one for nav-only books; this one reads both). Entries outside the spine are dropped.
 * Empty when neither has an entry: chapters then come from the headings in the spine.
 */
export function readEpubToc(
  zip: ZipArchive,
  pkg: EpubPackage,
): { entries: TocEntry[]; source: 'nav' | 'ncx' | 'none' } {
  const inSpine = new Set(pkg.spine.map((item) => item.path));
  const nav = navEntries(zip, pkg).filter((entry) => inSpine.has(entry.path));
  if (nav.length > 0) return { entries: nav, source: 'nav' };
  const ncx = ncxEntries(zip, pkg).filter((entry) => inSpine.has(entry.path));
  if (ncx.length > 0) return { entries: ncx, source: 'ncx' };
  return { entries: [], source: 'none' };
}
