import { DownloadError } from './errors.js';

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

function ipv4Octets(host: string): number[] | undefined {
  const parts = host.split('.');
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part))) return undefined;
  const octets = parts.map(Number);
  return octets.every((octet) => octet <= 255) ? octets : undefined;
}

function ipv6Groups(host: string): number[] | undefined {
  if (!host.includes(':') || !/^[0-9a-f:.]+$/i.test(host)) return undefined;
  const [head = '', tail, extra] = host.split('::');
  if (extra !== undefined) return undefined;
  const parse = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          const v4 = ipv4Octets(group);
          return v4
            ? [((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0)]
            : [parseInt(group, 16)];
        });
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const groups =
    tail === undefined ? left : [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  return groups.length === 8 &&
    groups.every((group) => Number.isInteger(group) && group >= 0 && group <= 0xffff)
    ? groups
    : undefined;
}

type HostKind = 'public' | 'loopback' | 'private';

function ipv4Kind([a = 0, b = 0, c = 0]: readonly number[]): HostKind {
  if (a === 127) return 'loopback';
  const isPrivate =
    a === 0 ||
    a === 10 ||
    a >= 224 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && c === 0) ||
    (a === 198 && (b === 18 || b === 19));
  return isPrivate ? 'private' : 'public';
}

const METADATA_HOSTS = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
]);

/** Classifies a URL's hostname from its text alone (no DNS): loopback, private/link-local/unspecified/metadata, or public. */
export function hostKind(hostname: string): HostKind {
  const host = hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return 'loopback';
  if (METADATA_HOSTS.has(host) || host.endsWith('.internal') || host.endsWith('.local')) return 'private';
  const v4 = ipv4Octets(host);
  if (v4) return ipv4Kind(v4);
  const v6 = ipv6Groups(host);
  if (!v6) return host.includes(':') ? 'private' : 'public';
  const [g0 = 0, , , , , g5 = 0, g6 = 0, g7 = 0] = v6;
  const zeroPrefix = v6.slice(0, 5).every((group) => group === 0);
  if (zeroPrefix && g5 === 0xffff) return ipv4Kind([g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff]);
  if (zeroPrefix && g5 === 0 && g6 === 0 && g7 === 1) return 'loopback';
  if (zeroPrefix && g5 === 0 && g6 === 0 && g7 === 0) return 'private';
  if ((g0 & 0xffc0) === 0xfe80 || (g0 & 0xfe00) === 0xfc00 || (g0 & 0xff00) === 0xff00) return 'private';
  return 'public';
}

/** Checks one download URL (the first or a redirect's): throws a non-transient `DownloadError` if refused. */
export function checkDownloadUrl(url: string, allowLoopback: boolean): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new DownloadError('refused download: not a URL', { transient: false, cause: error });
  }
  const kind = hostKind(parsed.hostname);
  const loopbackOk = kind === 'loopback' && allowLoopback;
  const schemeOk = parsed.protocol === 'https:' || (parsed.protocol === 'http:' && loopbackOk);
  if (!schemeOk)
    throw new DownloadError(`refused download: scheme ${parsed.protocol} to ${parsed.host}`, {
      transient: false,
    });
  if (kind !== 'public' && !loopbackOk) {
    throw new DownloadError(`refused download: ${kind} host ${parsed.host}`, { transient: false });
  }
  return parsed;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const TRANSIENT_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);

async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

async function readCapped(response: Response, maxBytes: number): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await discard(response);
    throw new DownloadError(`audio of ${declared} bytes exceeds the ${maxBytes}-byte cap`, {
      transient: false,
    });
  }
  if (response.body === null) return Buffer.alloc(0);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new DownloadError(`audio exceeds the ${maxBytes}-byte cap`, { transient: false });
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return undefined;
}

async function follow(url: string, options: DownloadOptions, signal: AbortSignal): Promise<Buffer> {
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
    return readCapped(response, options.maxBytes);
  }
}

/**
 * Downloads audio bytes without credentials: `https:` only (plus loopback `http:` when allowed), no
 * private, link-local, unspecified or metadata hosts, at most `maxRedirects` redirects each re-checked,
 * at most `maxBytes` read, within `timeoutMs`. The caller's abort is rethrown as its reason.
 */
export async function downloadAudioBytes(
  url: string,
  options: DownloadOptions,
  signal?: AbortSignal,
): Promise<Buffer> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
  try {
    return await follow(url, options, combined);
  } catch (error) {
    if (signal?.aborted === true) throw signal.reason;
    if (error instanceof DownloadError) throw error;
    if (timeout.aborted) {
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
  }
}
