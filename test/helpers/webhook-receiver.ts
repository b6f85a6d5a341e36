import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request the receiver got, and what it answered (`held` when it never answered). */
export type Delivery = {
  readonly id: string;
  readonly timestamp: string;
  readonly signature: string;
  readonly body: string;
  answer: number | 'held';
};

/** What to do with the n-th request (1-based) carrying a given `webhook-id`. */
export type ReceiverRule = (n: number, delivery: Delivery) => number | 'hold';

export type WebhookReceiver = {
  readonly url: string;
  readonly deliveries: Delivery[];
  /** Deliveries answered 2xx. */
  accepted(): Delivery[];
  close(): Promise<void>;
};

/** A webhook receiver over real HTTP on 127.0.0.1 answering as `rule` says. */
export async function startWebhookReceiver(rule: ReceiverRule): Promise<WebhookReceiver> {
  const deliveries: Delivery[] = [];
  const sockets = new Set<Socket>();
  const counts = new Map<string, number>();
  const header = (request: IncomingMessage, name: string) => String(request.headers[name] ?? '');
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const delivery: Delivery = {
        id: header(request, 'webhook-id'),
        timestamp: header(request, 'webhook-timestamp'),
        signature: header(request, 'webhook-signature'),
        body: Buffer.concat(chunks).toString('utf8'),
        answer: 'held',
      };
      deliveries.push(delivery);
      const n = (counts.get(delivery.id) ?? 0) + 1;
      counts.set(delivery.id, n);
      const answer = rule(n, delivery);
      if (answer === 'hold') return;
      delivery.answer = answer;
      response.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : 'try later');
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/tts`,
    deliveries,
    accepted: () => deliveries.filter((d) => typeof d.answer === 'number' && d.answer < 300),
    async close() {
      const closed = once(server, 'close');
      server.close();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
