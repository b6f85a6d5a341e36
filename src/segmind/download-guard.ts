import { DownloadError } from './errors.js';

// Where a download may go, decided from the URL's text alone (no DNS): the API's answer is untrusted.

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
