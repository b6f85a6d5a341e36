import { UsageError } from '../errors.js';
import { resolveHref } from './epub-paths.js';
import {
  attribute,
  childrenNamed,
  findAll,
  findFirst,
  localName,
  parseXml,
  textOf,
  type Element,
} from './xml-dom.js';
import type { ZipArchive } from './zip-archive.js';

export type ManifestItem = {
  readonly id: string;
  /** Path inside the archive. */
  readonly path: string;
  readonly mediaType: string;
  readonly properties: readonly string[];
};

/** What the OPF package document says: metadata, the files, and the reading order. */
export type EpubPackage = {
  readonly opfPath: string;
  readonly title: string | undefined;
  readonly author: string | undefined;
  readonly language: string | undefined;
  readonly items: ReadonlyMap<string, ManifestItem>;
  /** The linear spine items, in reading order. */
  readonly spine: readonly ManifestItem[];
  readonly nav: ManifestItem | undefined;
  readonly ncx: ManifestItem | undefined;
  readonly cover: ManifestItem | undefined;
};

function metadataText(metadata: Element | undefined, name: string): string | undefined {
  if (metadata === undefined) return undefined;
  const element = findAll([metadata], (candidate) => localName(candidate) === name)[0];
  const text = element === undefined ? '' : textOf(element).replace(/\s+/g, ' ').trim();
  return text === '' ? undefined : text;
}

/** Reads `META-INF/container.xml` and the package document it points to. */
export function readEpubPackage(zip: ZipArchive, file: string): EpubPackage {
  const container = zip.readText('META-INF/container.xml');
  const rootfile = container === undefined ? undefined : findFirst(parseXml(container), 'rootfile');
  const opfPath =
    (rootfile && attribute(rootfile, 'full-path')) ?? zip.names.find((name) => name.endsWith('.opf'));
  const opf = opfPath === undefined ? undefined : zip.readText(opfPath);
  if (opfPath === undefined || opf === undefined) {
    throw new UsageError(
      `${file}: not an EPUB: no package document (META-INF/container.xml names none, no .opf file)`,
    );
  }
  const roots = parseXml(opf);
  const metadata = findFirst(roots, 'metadata');
  const manifest = findFirst(roots, 'manifest');
  const spineElement = findFirst(roots, 'spine');
  const items = new Map<string, ManifestItem>();
  for (const item of manifest === undefined ? [] : childrenNamed(manifest, 'item')) {
    const id = attribute(item, 'id');
    const href = attribute(item, 'href');
    if (id === undefined || href === undefined) continue;
    items.set(id, {
      id,
      path: resolveHref(opfPath, href).path,
      mediaType: attribute(item, 'media-type') ?? '',
      properties: (attribute(item, 'properties') ?? '').split(/\s+/).filter((property) => property !== ''),
    });
  }
  const spine = (spineElement === undefined ? [] : childrenNamed(spineElement, 'itemref'))
    .filter((itemref) => attribute(itemref, 'linear') !== 'no')
    .map((itemref) => items.get(attribute(itemref, 'idref') ?? ''))
    .filter((item): item is ManifestItem => item !== undefined);
  const all = [...items.values()];
  const tocId = spineElement === undefined ? undefined : attribute(spineElement, 'toc');
  const coverMeta =
    metadata === undefined
      ? undefined
      : findAll(
          [metadata],
          (element) => localName(element) === 'meta' && attribute(element, 'name') === 'cover',
        )[0];
  const coverId = coverMeta === undefined ? undefined : attribute(coverMeta, 'content');
  return {
    opfPath,
    title: metadataText(metadata, 'title'),
    author: metadataText(metadata, 'creator'),
    language: metadataText(metadata, 'language'),
    items,
    spine,
    nav: all.find((item) => item.properties.includes('nav')),
    ncx:
      (tocId === undefined ? undefined : items.get(tocId)) ??
      all.find((item) => item.mediaType === 'application/x-dtbncx+xml'),
    cover:
      all.find((item) => item.properties.includes('cover-image')) ??
      (coverId === undefined ? undefined : items.get(coverId)),
  };
}
