import { posix } from 'node:path';

/** An href inside an EPUB split into the archive path it names (resolved against `fromFile`) and its fragment. */
export function resolveHref(
  fromFile: string,
  href: string,
): { readonly path: string; readonly fragment: string | undefined } {
  const hashAt = href.indexOf('#');
  const rawPath = hashAt === -1 ? href : href.slice(0, hashAt);
  const fragment = hashAt === -1 ? undefined : safeDecode(href.slice(hashAt + 1)) || undefined;
  const path =
    rawPath === '' ? fromFile : posix.normalize(posix.join(posix.dirname(fromFile), safeDecode(rawPath)));
  return { path: path.replace(/^\.\//, ''), fragment };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
