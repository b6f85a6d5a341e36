import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export type StubApi = {
  readonly url: string;
  /** Requests the stub did not expect (a download that reached it, say): method and path. */
  readonly unexpected: string[];
  close(): Promise<void>;
};

async function body(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request as AsyncIterable<Buffer>) text += chunk.toString('utf8');
  return text;
}

function reply(response: ServerResponse, status: number, json: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
}

/**
 * A v2 API on 127.0.0.1 that completes every request at once and answers its result with the
 * `output` the row's text names (`output: <url>`): a hostile or broken API pointing downloads
 * wherever it likes.
 */
export async function startStubApi(): Promise<StubApi> {
  const outputs = new Map<string, string>();
  const unexpected: string[] = [];
  let base = '';
  const server = createServer((request, response) => {
    void (async () => {
      const path = request.url ?? '/';
      if (request.method === 'POST' && path.startsWith('/v2/')) {
        const { text } = JSON.parse(await body(request)) as { text?: string };
        const id = randomUUID();
        outputs.set(id, (text ?? '').replace(/^output: /, ''));
        const requestUrl = `${base}/v2/requests/${id}`;
        return reply(response, 200, {
          request_id: id,
          status: 'QUEUED',
          status_url: `${requestUrl}/status`,
          response_url: requestUrl,
        });
      }
      const match = /^\/v2\/requests\/([0-9a-f-]+)(\/status)?$/.exec(path);
      const output = match?.[1] === undefined ? undefined : outputs.get(match[1]);
      if (request.method === 'GET' && match && output !== undefined) {
        const metrics = { inference_time: 0.1, cost: 0.001 };
        return reply(response, 200, {
          request_id: match[1],
          status: 'COMPLETED',
          metrics,
          ...(match[2] ? {} : { output }),
        });
      }
      unexpected.push(`${request.method ?? '?'} ${path}`);
      return reply(response, 404, { error: 'not found' });
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  base = `http://127.0.0.1:${address.port}`;
  return {
    url: base,
    unexpected,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
