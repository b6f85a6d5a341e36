import type { IncomingMessage, ServerResponse } from 'node:http';

/** What a handler decided: an answer to send, or a connection to drop without one. */
export type Reply =
  | {
      readonly kind: 'answer';
      readonly status: number;
      readonly contentType: string;
      readonly body: string | Buffer;
      readonly headers?: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'reset' };

export function jsonReply(status: number, body: unknown, headers?: Record<string, string>): Reply {
  return {
    kind: 'answer',
    status,
    contentType: 'application/json',
    body: JSON.stringify(body),
    ...(headers ? { headers } : {}),
  };
}

export function errorReply(status: number, message: string, headers?: Record<string, string>): Reply {
  return jsonReply(status, { error: message }, headers);
}

export function textReply(status: number, text: string): Reply {
  return { kind: 'answer', status, contentType: 'text/plain; charset=utf-8', body: text };
}

/** The HTML a gateway (nginx in front of the API) answers with, as for 405, 502 and 504. */
export function gatewayHtmlReply(status: number, reason: string, headers?: Record<string, string>): Reply {
  const title = `${status} ${reason}`;
  return {
    kind: 'answer',
    status,
    contentType: 'text/html',
    body: `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
    ...(headers ? { headers } : {}),
  };
}

export const RESET: Reply = { kind: 'reset' };

/** Largest request body accepted; bigger ones are answered 413 rather than buffered. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** The whole request body, or undefined if it exceeds `MAX_BODY_BYTES`. */
export async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    bytes += buffer.length;
    // Keep reading (and dropping) so the client sees the 413 rather than a broken pipe.
    if (bytes <= MAX_BODY_BYTES) chunks.push(buffer);
  }
  return bytes <= MAX_BODY_BYTES ? Buffer.concat(chunks) : undefined;
}

export function send(response: ServerResponse, reply: Reply): void {
  if (reply.kind === 'reset') {
    response.socket?.destroy();
    return;
  }
  const body = typeof reply.body === 'string' ? Buffer.from(reply.body) : reply.body;
  response.writeHead(reply.status, {
    ...reply.headers,
    'content-type': reply.contentType,
    'content-length': String(body.length),
  });
  response.end(body);
}
