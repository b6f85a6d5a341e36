import { DownloadError } from './errors.js';

/** Where a result's audio is: a URL still to download, or bytes decoded locally. */
export type AudioSource =
  { readonly kind: 'url'; readonly url: string } | { readonly kind: 'bytes'; readonly bytes: Buffer };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$|^[A-Za-z0-9_-]+={0,2}$/;
const MIN_BARE_BASE64_CHARS = 16;
const MAX_DEPTH = 3;

function badShape(why: string): DownloadError {
  return new DownloadError(`bad output shape: ${why}`, { transient: false });
}

function checkSize(decodedBytes: number, maxBytes: number): void {
  if (decodedBytes > maxBytes) {
    throw new DownloadError(`inline audio of ~${decodedBytes} bytes exceeds the ${maxBytes}-byte cap`, {
      transient: false,
    });
  }
}

function decodeBase64(text: string, maxBytes: number): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0 || !BASE64.test(compact)) throw badShape('not base64');
  checkSize(Math.floor((compact.length * 3) / 4), maxBytes);
  return Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64');
}

function decodeDataUri(uri: string, maxBytes: number): Buffer {
  const comma = uri.indexOf(',');
  if (comma < 0) throw badShape('data URI without a comma');
  const meta = uri.slice('data:'.length, comma).toLowerCase();
  const payload = uri.slice(comma + 1);
  if (meta.split(';').includes('base64')) return decodeBase64(payload, maxBytes);
  checkSize(payload.length, maxBytes);
  try {
    return Buffer.from(decodeURIComponent(payload), 'latin1');
  } catch (error) {
    throw new DownloadError('bad output shape: data URI with bad percent-encoding', {
      transient: false,
      cause: error,
    });
  }
}

function fromString(value: string, maxBytes: number): AudioSource {
  const text = value.trim();
  if (/^data:/i.test(text)) return { kind: 'bytes', bytes: decodeDataUri(text, maxBytes) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return { kind: 'url', url: text };
  if (text.replace(/\s+/g, '').length < MIN_BARE_BASE64_CHARS)
    throw badShape('a string that is neither a URL nor base64');
  return { kind: 'bytes', bytes: decodeBase64(text, maxBytes) };
}

function decode(output: unknown, maxBytes: number, depth: number): AudioSource {
  if (typeof output === 'string') return fromString(output, maxBytes);
  if (depth < MAX_DEPTH && Array.isArray(output)) {
    const [first] = output as unknown[];
    if (first === undefined) throw badShape('an empty array');
    return decode(first, maxBytes, depth + 1);
  }
  if (depth < MAX_DEPTH && output !== null && typeof output === 'object') {
    const record = output as Record<string, unknown>;
    for (const key of ['url', 'audio_url', 'audio', 'data']) {
      if (
        typeof record[key] === 'string' ||
        (key !== 'url' && typeof record[key] === 'object' && record[key] !== null)
      ) {
        return decode(record[key], maxBytes, depth + 1);
      }
    }
    throw badShape(`an object with keys [${Object.keys(record).slice(0, 10).join(', ')}]`);
  }
  throw badShape(output === null ? 'null' : typeof output);
}

/**
 * Reads a result's `output`: a URL string, `{ url }` (or `audio_url`, `audio`, `data`), a one-element
 * array of those, a `data:` URI, or bare base64. Inline audio is decoded here, within `maxBytes`.
 * Throws a non-transient `DownloadError` for any other shape.
 */
export function decodeOutput(output: unknown, maxBytes: number): AudioSource {
  return decode(output, maxBytes, 0);
}
