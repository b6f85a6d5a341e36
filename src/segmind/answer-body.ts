/** An API answer's body, read within a byte cap. */
export type AnswerBody =
  | { readonly overCap: false; readonly text: string }
  | {
      readonly overCap: true;
      /** The first bytes read (at most one chunk), decoded: enough to quote the body's start. */
      readonly head: string;
      /** The Content-Length that was over the cap, or `undefined` when the cap was crossed while reading. */
      readonly declaredBytes: number | undefined;
    };

const BODY_START_CHARS = 120;
const HEAD_CHARS = 4096;

/** The Content-Length header as a byte count, or `undefined` when absent or malformed. */
export function declaredLength(headers: Headers): number | undefined {
  const value = headers.get('content-length')?.trim();
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

function decode(chunks: readonly Uint8Array[], total: number): string {
  return new TextDecoder().decode(Buffer.concat(chunks, total));
}

/**
 * Reads a body as UTF-8 text, at most `maxBytes` of it. A Content-Length over the cap is refused
 * after one chunk; a body that grows past the cap stops being read. Either way the body is cancelled.
 */
export async function readAnswerBody(response: Response, maxBytes: number): Promise<AnswerBody> {
  if (response.body === null) return { overCap: false, text: '' };
  const declaredBytes = declaredLength(response.headers);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { overCap: false, text: decode(chunks, total) };
    chunks.push(value);
    total += value.byteLength;
    if (total > maxBytes || (declaredBytes !== undefined && declaredBytes > maxBytes)) {
      await reader.cancel().catch(() => undefined);
      const [first = new Uint8Array()] = chunks;
      const head = decode([first], first.byteLength).slice(0, HEAD_CHARS);
      return { overCap: true, head, declaredBytes: total > maxBytes ? undefined : declaredBytes };
    }
  }
}

/** Replaces every occurrence of the API key. */
export function redactKey(text: string, apiKey: string | undefined): string {
  return apiKey !== undefined && apiKey.length > 0 ? text.split(apiKey).join('[redacted]') : text;
}

/**
 * The body's first ~120 characters, whitespace folded, the key redacted before the cut so that no
 * part of it survives; `''` for an empty body.
 */
export function bodyStartOf(text: string, apiKey: string | undefined): string {
  const flat = redactKey(text.slice(0, HEAD_CHARS), apiKey).replace(/\s+/g, ' ').trim();
  return flat.length > BODY_START_CHARS ? `${flat.slice(0, BODY_START_CHARS)}…` : flat;
}

/** `body starts "<!doctype html>…"` (quoted and escaped), or `empty body`. */
export function describeBodyStart(bodyStart: string): string {
  return bodyStart === '' ? 'empty body' : `body starts ${JSON.stringify(bodyStart)}`;
}
