import { strToU8, zipSync, type Zippable } from 'fflate';

/** One XHTML file of a test book. */
export type EpubFile = { readonly href: string; readonly body: string };

export type EpubSpec = {
  readonly title?: string;
  readonly author?: string;
  readonly files: readonly EpubFile[];
  /** EPUB3 nav entries (href relative to OEBPS/, title). */
  readonly nav?: readonly (readonly [string, string])[];
  /** EPUB2 NCX entries. */
  readonly ncx?: readonly (readonly [string, string])[];
  /** Extra archive entries (META-INF/encryption.xml, a cover...), by path. */
  readonly extra?: Readonly<Record<string, string | Uint8Array>>;
  readonly coverHref?: string;
};

const xhtml = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"><head><title>t</title><style>p { color: red }</style></head><body>${body}</body></html>`;

/** A real EPUB archive built from `spec` with the same zip library the product reads with. */
export function buildEpub(spec: EpubSpec): Uint8Array {
  const version = spec.nav === undefined ? '2.0' : '3.0';
  const manifest = spec.files.map(
    (file, at) => `<item id="f${at}" href="${file.href}" media-type="application/xhtml+xml"/>`,
  );
  if (spec.nav)
    manifest.push('<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>');
  if (spec.ncx) manifest.push('<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>');
  if (spec.coverHref)
    manifest.push(
      `<item id="cover" href="${spec.coverHref}" media-type="image/jpeg" properties="cover-image"/>`,
    );
  const opf = `<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="${version}" unique-identifier="id">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:identifier id="id">test-book</dc:identifier>
    <dc:title>${spec.title ?? 'A Test Book'}</dc:title>
    <dc:creator>${spec.author ?? 'Ann Author'}</dc:creator>
    <dc:language>en</dc:language>
  </metadata>
  <manifest>${manifest.join('\n')}</manifest>
  <spine${spec.ncx ? ' toc="ncx"' : ''}>${spec.files.map((_, at) => `<itemref idref="f${at}"/>`).join('')}</spine>
</package>`;
  const entries: Zippable = {
    mimetype: [strToU8('application/epub+zip'), { level: 0 }],
    'META-INF/container.xml': strToU8(
      `<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>`,
    ),
    'OEBPS/content.opf': strToU8(opf),
  };
  for (const file of spec.files) entries[`OEBPS/${file.href}`] = strToU8(xhtml(file.body));
  if (spec.nav) {
    const items = spec.nav.map(([href, title]) => `<li><a href="${href}">${title}</a></li>`).join('');
    entries['OEBPS/nav.xhtml'] = strToU8(
      xhtml(`<nav epub:type="toc"><h1>Contents</h1><ol>${items}</ol></nav>`),
    );
  }
  if (spec.ncx) {
    const points = spec.ncx
      .map(
        ([href, title], at) =>
          `<navPoint id="p${at}" playOrder="${at + 1}"><navLabel><text>${title}</text></navLabel><content src="${href}"/></navPoint>`,
      )
      .join('');
    entries['OEBPS/toc.ncx'] = strToU8(
      `<?xml version="1.0"?><ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1"><head/><docTitle><text>t</text></docTitle><navMap>${points}</navMap></ncx>`,
    );
  }
  for (const [path, data] of Object.entries(spec.extra ?? {}))
    entries[path] = typeof data === 'string' ? strToU8(data) : data;
  return zipSync(entries);
}
