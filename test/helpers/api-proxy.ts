import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does with one answer of the real peer (the simulator) before passing it on. */
export type AnswerRewrite = {
  readonly status: number;
  readonly body: string;
  readonly headers?: Record<string, string>;
  /** Hold the answer this long before sending it (the request reached the peer already). */
  readonly holdMs?: number;
};

export type ProxyRule = (
  request: { readonly method: string; readonly path: string },
  answer: { readonly status: number; readonly body: string },
) => AnswerRewrite | undefined;

export type ApiProxy = {
  readonly url: string;
  /** Requests forwarded so far, by `METHOD path-kind` (submit, status, result, other). */
  readonly forwarded: Map<string, number>;
  close(): Promise<void>;
};

function kind(method: string, path: string): string {
  if (method === 'POST' && path.startsWith('/v2/')) return 'submit';
  if (path.endsWith('/status')) return 'status';
  if (path.startsWith('/v2/requests/')) return 'result';
  return 'other';
}

/**
 * A misbehaving network between the worker and the simulator, for what the simulator cannot do
 * itself (hold answers, change their shape): every request is forwarded to `target` as it is,
 * so the simulator bills and records it, and `rule` may rewrite or hold the answer.
 */
export async function startApiProxy(target: string, rule: ProxyRule): Promise<ApiProxy> {
  const forwarded = new Map<string, number>();
  let self = '';
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        const method = request.method ?? 'GET';
        const path = request.url ?? '/';
        const key = kind(method, path);
        forwarded.set(key, (forwarded.get(key) ?? 0) + 1);
        const headers: Record<string, string> = {};
        for (const name of ['x-api-key', 'content-type', 'accept']) {
          const value = request.headers[name];
          if (typeof value === 'string') headers[name] = value;
        }
        const init: RequestInit = { method, headers };
        if (chunks.length > 0) init.body = Buffer.concat(chunks);
        const upstream = await fetch(`${target}${path}`, init);
        const bytes = Buffer.from(await upstream.arrayBuffer());
        // Only JSON and text answers are rewritten: audio comes as audio/* or application/octet-stream,
        // which a round trip through a UTF-8 string would corrupt.
        const textual = /^(application\/json|text\/)/.test(upstream.headers.get('content-type') ?? '');
        // The peer's absolute URLs (status_url, response_url, audio links) lead back through here.
        const body = textual ? bytes.toString('utf8').split(target).join(self) : '';
        const rewrite = rule({ method, path }, { status: upstream.status, body });
        if (rewrite?.holdMs) await new Promise((resolve) => setTimeout(resolve, rewrite.holdMs));
        response.writeHead(rewrite?.status ?? upstream.status, {
          'content-type': upstream.headers.get('content-type') ?? 'application/json',
          ...(rewrite?.headers ?? {}),
        });
        response.end(rewrite?.body ?? (textual ? body : bytes));
      })().catch(() => response.destroy());
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  self = `http://127.0.0.1:${port}`;
  return {
    url: `http://127.0.0.1:${port}`,
    forwarded,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
