import type { IncomingHttpHeaders } from 'node:http';
import type { RequestHandler } from 'express';

/** Methods that change nothing: a page on another site may cause them without harm. */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** What `Sec-Fetch-Site` says when the request comes from the dashboard itself or the user. */
const OWN_FETCH_SITES: ReadonlySet<string> = new Set(['same-origin', 'none']);

const REFUSED =
  'cross-origin request refused: a change to the dashboard must come from one of its own pages.\n' +
  "From a script (curl), send the dashboard's own origin: -H 'Origin: http://HOST:PORT'\n";

/** `host[:port]` of a URL or a Host header, normalised as the URL parser does; undefined if unparsable. */
function hostOf(url: string): string | undefined {
  try {
    const { host } = new URL(url);
    return host === '' ? undefined : host;
  } catch {
    return undefined;
  }
}

/**
 * Whether a request comes from a page of the dashboard itself. `Sec-Fetch-Site` decides when
 * the browser sent it; otherwise `Origin` (or, lacking it, `Referer`) must name the host the
 * request was sent to. Only the host is compared, not the scheme: behind a TLS proxy this
 * process sees http while the browser says https. A request with neither header is refused:
 * every browser sends one of them on a cross-site POST.
 */
export function isSameOrigin(headers: IncomingHttpHeaders): boolean {
  const fetchSite = headers['sec-fetch-site'];
  if (typeof fetchSite === 'string') return OWN_FETCH_SITES.has(fetchSite.toLowerCase());
  const own = headers.host === undefined ? undefined : hostOf(`http://${headers.host}`);
  const claimed = headers.origin ?? headers.referer;
  if (own === undefined || claimed === undefined || claimed === 'null') return false;
  return hostOf(claimed) === own;
}

/**
 * Refuses, with 403, every request that may change something (any method but GET, HEAD and
 * OPTIONS) unless it is same-origin: the browser sends the operator's cached basic-auth
 * credentials with a form that another site submits to the dashboard.
 */
export function sameOriginOnly(): RequestHandler {
  return (request, response, next) => {
    if (SAFE_METHODS.has(request.method) || isSameOrigin(request.headers)) {
      next();
      return;
    }
    response.status(403).type('text/plain').set('X-Content-Type-Options', 'nosniff').send(REFUSED);
  };
}
