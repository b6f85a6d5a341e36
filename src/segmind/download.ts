import { declaredLength } from './answer-body.js';
import { checkDownloadUrl } from './download-guard.js';
import { DownloadError } from './errors.js';
import { requestSignal } from './request-signal.js';

/** How audio URLs are fetched. The API key is never among them: downloads carry no credentials. */
export type DownloadOptions = {
  readonly fetch: typeof globalThis.fetch;
  readonly maxBytes: number;
  readonly timeoutMs: number;
  readonly maxRedirects: number;
  /** Allow `http:` to loopback hosts (the simulator); everything else must be `https:` to a public host. */
  readonly allowLoopback: boolean;
  /** Told of every HTTP attempt's outcome. */
  readonly onOutcome?: (outcome: number | 'network' | 'timeout') => void;
};

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const TRANSIENT_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);

async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

/** Where downloaded audio goes, chunk by chunk, in order. */
export type AudioSink = {
  begin(declaredBytes: number | undefined): void;
  write(chunk: Uint8Array): Promise<void>;
};

/** A sink's own failure (a full disk, undecodable audio), carried past the download's error mapping unchanged. */
class SinkFailure extends Error {
  override name = 'SinkFailure' as const;
  constructor(readonly error: unknown) {
    super('the audio sink failed', { cause: error });
  }
}

function overCap(maxBytes: number, declared?: number): DownloadError {
  const what = declared === undefined ? 'audio' : `audio of ${declared} bytes`;
  return new DownloadError(`${what} exceeds the ${maxBytes}-byte cap`, { transient: false });
}

async function pump(response: Response, maxBytes: number, sink: AudioSink): Promise<void> {
  const declared = declaredLength(response.headers);
  if (declared !== undefined && declared > maxBytes) {
    await discard(response);
    throw overCap(maxBytes, declared);
  }
  sink.begin(declared);
  if (response.body === null) return;
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  try {
    for (let total = 0; ;) {
      const { done, value } = await reader.read();
      if (done) return;
      total += value.byteLength;
      if (total > maxBytes) throw overCap(maxBytes);
      await sink.write(value).catch((error: unknown) => {
        throw new SinkFailure(error);
      });
    }
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    throw error;
  }
}

function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return undefined;
}

async function follow(url: string, options: DownloadOptions, signal: AbortSignal): Promise<Response> {
  let current = checkDownloadUrl(url, options.allowLoopback);
  for (let hop = 0; ; hop++) {
    const response = await options.fetch(current, {
      redirect: 'manual',
      signal,
      headers: { accept: 'audio/*, */*' },
    });
    options.onOutcome?.(response.status);
    if (REDIRECT_STATUSES.has(response.status)) {
      await discard(response);
      const location = response.headers.get('location');
      if (location === null)
        throw new DownloadError(`redirect ${response.status} without a Location`, {
          transient: false,
          status: response.status,
        });
      if (hop >= options.maxRedirects) {
        throw new DownloadError(`more than ${options.maxRedirects} redirects`, {
          transient: false,
          status: response.status,
        });
      }
      current = checkDownloadUrl(new URL(location, current).href, options.allowLoopback);
      continue;
    }
    if (!response.ok) {
      await discard(response);
      const transient = TRANSIENT_STATUSES.has(response.status);
      throw new DownloadError(`audio host answered HTTP ${response.status}`, {
        transient,
        status: response.status,
      });
    }
    return response;
  }
}

/**
 * Streams audio into `sink` without credentials: `https:` only (plus loopback `http:` when allowed), no
 * private, link-local, unspecified or metadata hosts, at most `maxRedirects` redirects each re-checked,
 * at most `maxBytes` read, within `timeoutMs` for the whole body. The caller's abort is rethrown as its
 * reason; the sink's own errors pass through unchanged.
 */
export async function streamAudio(
  url: string,
  options: DownloadOptions,
  sink: AudioSink,
  signal?: AbortSignal,
): Promise<void> {
  const timeout = requestSignal(signal, options.timeoutMs);
  try {
    await pump(await follow(url, options, timeout.signal), options.maxBytes, sink);
  } catch (error) {
    if (signal?.aborted === true) throw signal.reason;
    if (error instanceof SinkFailure) throw error.error;
    if (error instanceof DownloadError) throw error;
    if (timeout.timedOut) {
      options.onOutcome?.('timeout');
      throw new DownloadError(`audio download timed out after ${options.timeoutMs} ms`, {
        transient: true,
        cause: error,
      });
    }
    options.onOutcome?.('network');
    const code = errorCode(error);
    const why = code ?? (error instanceof Error ? error.message : String(error));
    throw new DownloadError(`audio download failed: ${why}`, { transient: true, cause: error });
  } finally {
    timeout.dispose();
  }
}

/** `streamAudio` into memory: the whole body as one buffer (for small audio and tests). */
export async function downloadAudioBytes(
  url: string,
  options: DownloadOptions,
  signal?: AbortSignal,
): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  await streamAudio(
    url,
    options,
    {
      begin: () => undefined,
      write: (chunk) => {
        chunks.push(chunk);
        return Promise.resolve();
      },
    },
    signal,
  );
  return Buffer.concat(chunks);
}
