import { connect, createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';

/**
 * A TCP proxy in front of a Redis server that reads the commands its clients send (RESP arrays).
 * Once a command matches `holdWhen`, that command (`before`, the default) or the ones after it
 * (`after`) wait on that connection until `release()`: a worker held at an exact point of its work.
 */
export type RedisGate = {
  readonly url: string;
  /** Resolves when a command matched and is being held. */
  readonly held: Promise<void>;
  release(): void;
  close(): Promise<void>;
};

/** One complete RESP array at `from`: its arguments and where it ends; undefined if incomplete. */
function parseCommand(buffer: Buffer, from: number): { args: string[]; end: number } | undefined {
  const line = (at: number) => {
    const cr = buffer.indexOf('\r\n', at);
    return cr < 0 ? undefined : { text: buffer.toString('latin1', at, cr), next: cr + 2 };
  };
  const head = line(from);
  if (head === undefined) return undefined;
  if (!head.text.startsWith('*')) throw new Error(`redis gate: not a RESP array: ${head.text}`);
  const count = Number(head.text.slice(1));
  const args: string[] = [];
  let at = head.next;
  for (let i = 0; i < count; i += 1) {
    const size = line(at);
    if (size === undefined) return undefined;
    const length = Number(size.text.slice(1));
    if (buffer.length < size.next + length + 2) return undefined;
    args.push(buffer.toString('utf8', size.next, size.next + length));
    at = size.next + length + 2;
  }
  return { args, end: at };
}

export async function startRedisGate(
  target: { readonly host: string; readonly port: number },
  holdWhen: (args: readonly string[]) => boolean,
  where: 'before' | 'after' = 'before',
): Promise<RedisGate> {
  let released = false;
  let markHeld = () => {};
  const held = new Promise<void>((resolve) => (markHeld = resolve));
  const waiting: (() => void)[] = [];
  const sockets = new Set<Socket>();

  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    upstream.on('data', (chunk) => client.write(chunk));
    let pending = Buffer.alloc(0);
    let holding = false;
    let heldBytes: Buffer[] = [];
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      let at = 0;
      for (;;) {
        const command = parseCommand(pending, at);
        if (command === undefined) break;
        const raw = pending.subarray(at, command.end);
        const matches = !holding && !released && holdWhen(command.args);
        if (matches) {
          holding = true;
          waiting.push(() => {
            holding = false;
            for (const bytes of heldBytes) upstream.write(bytes);
            heldBytes = [];
          });
        }
        if (holding && !(matches && where === 'after')) heldBytes.push(Buffer.from(raw));
        else upstream.write(raw);
        if (matches) markHeld();
        at = command.end;
      }
      pending = pending.subarray(at);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('redis gate: no port');
  return {
    url: `redis://127.0.0.1:${address.port}`,
    held,
    release() {
      released = true;
      for (const go of waiting.splice(0)) go();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close').catch(() => undefined);
    },
  };
}
