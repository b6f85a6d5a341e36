import { UsageError } from '../errors.js';
import { attribute, findAll, localName, parseXml } from './xml-dom.js';
import type { ZipArchive } from './zip-archive.js';

/** The only encryption an EPUB may carry and still be read: font obfuscation (IDPF and Adobe). */
export const FONT_OBFUSCATION_ALGORITHMS: ReadonlySet<string> = new Set([
  'http://www.idpf.org/2008/embedding',
  'http://ns.adobe.com/pdf/enc#RC',
]);

/**
 * Refuses a DRM-protected EPUB: `META-INF/encryption.xml` naming any algorithm other than font
 * obfuscation, or the rights files of Adobe ADEPT (`rights.xml`) and Apple FairPlay (`sinf.xml`).
 */
export function refuseDrm(zip: ZipArchive, file: string): void {
  for (const marker of ['META-INF/rights.xml', 'META-INF/sinf.xml']) {
    if (zip.has(marker)) {
      throw new UsageError(`${file}: refused: the book is DRM-protected (${marker}); import a DRM-free copy`);
    }
  }
  const encryption = zip.readText('META-INF/encryption.xml');
  if (encryption === undefined) return;
  const methods = findAll(parseXml(encryption), (element) => localName(element) === 'encryptionmethod');
  const data = findAll(parseXml(encryption), (element) => localName(element) === 'encrypteddata');
  const others = methods
    .map((method) => attribute(method, 'Algorithm') ?? '')
    .filter((algorithm) => !FONT_OBFUSCATION_ALGORITHMS.has(algorithm));
  if (others.length > 0 || methods.length < data.length) {
    throw new UsageError(
      `${file}: refused: the book is DRM-protected (META-INF/encryption.xml encrypts content with ${others[0] || 'an unnamed algorithm'}); import a DRM-free copy`,
    );
  }
}
