import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { Redis } from 'ioredis';
import { freePort } from '../../src/demo/local-redis.js';

/** A free TCP port on 127.0.0.1 (the demo's own helper). */
export { freePort };

export type PrivateRedis = {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** SIGKILL the server (data since the last fsync may be lost, as in a crash). */
  kill(): Promise<void>;
  /** Start it again on the same port and directory (AOF replayed if enabled). */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: the server hangs, connections stay open (a stalled host, a long fork). */
  freeze(): void;
  thaw(): void;
  stop(): Promise<void>;
};

export type PrivateRedisOptions = {
  /** Turn on AOF persistence (appendfsync everysec unless `fsync` says otherwise). */
  readonly appendonly?: boolean;
  readonly fsync?: 'always' | 'everysec';
  readonly password?: string;
};

/**
 * Starts `redis-server` on a free port in a temporary directory, for tests that need
 * isolation, persistence or restarts. Stop it in `after()`.
 */
export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'tts-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    options.appendonly ? 'yes' : 'no',
    '--appendfsync',
    options.fsync ?? 'everysec',
    '--maxmemory-policy',
    'noeviction',
    ...(options.password ? ['--requirepass', options.password] : []),
  ];
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : '';
  const url = `redis://${auth}127.0.0.1:${port}`;

  async function start(): Promise<void> {
    child = spawn('redis-server', args, { stdio: 'ignore' });
    const failed = once(child, 'error');
    for (let i = 0; i < 100; i += 1) {
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => {});
      try {
        await Promise.race([probe.connect(), failed]);
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        probe.disconnect();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    throw new Error(`redis-server did not start on port ${port}`);
  }

  async function kill(): Promise<void> {
    if (!child || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  await start();
  return {
    url,
    port,
    dir,
    kill,
    restart: start,
    freeze: () => child?.kill('SIGSTOP'),
    thaw: () => child?.kill('SIGCONT'),
    async stop() {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A key prefix unique to one test, so tests never see each other's queues. */
export function uniquePrefix(label = 't'): string {
  return `${label}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * For a test file whose tests play several workers at once: `count` connections to a private
 * redis-server, opened before the file's tests and closed, with the server, after them.
 */
export function usePrivateRedisClients(count: number): readonly Redis[] {
  const clients: Redis[] = [];
  let server: PrivateRedis | undefined;
  before(async () => {
    server = await startPrivateRedis();
    for (let i = 0; i < count; i += 1) clients.push(new Redis(server.url));
  });
  after(async () => {
    for (const client of clients) client.disconnect();
    await server?.stop();
  });
  return clients;
}
