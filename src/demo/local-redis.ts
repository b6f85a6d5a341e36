import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { TtsBatchError } from '../errors.js';
import { makeRedis } from '../redis/connection.js';
import { SECOND } from '../time.js';

/** Where the demo's Redis came from, and how to let it go. */
export type LocalRedis = {
  readonly url: string;
  readonly source: 'REDIS_URL' | 'probe' | 'spawned';
  /** Stops the server if the demo started it; otherwise does nothing. */
  stop(): Promise<void>;
};

export type LocalRedisOptions = {
  /** The configured REDIS_URL, if the user gave one: used as it is. */
  readonly redisUrl: string | undefined;
  /** `host:port` to try next (TTS_DEMO_REDIS_PROBE). */
  readonly probeAddress: string;
  /** Data directory of a spawned server. */
  readonly dataDir: string;
  readonly redisServer?: string;
};

/** No Redis configured, none answering, and no redis-server to start: the message says how to get one. */
export class RedisServerMissingError extends TtsBatchError {
  override name = 'RedisServerMissingError' as const;
}

const INSTALL_HINT =
  'no Redis: set REDIS_URL, start one on 127.0.0.1:6379, or install redis-server (Debian/Ubuntu: `sudo apt-get install redis-server`, macOS: `brew install redis`, or `docker run -p 6379:6379 redis:7`)';

/** Whether a Redis answers PING at `url` within about a second. */
export async function answersPing(url: string): Promise<boolean> {
  const probe = makeRedis(url, 'command', { retryStrategy: () => null, connectTimeout: 1 * SECOND });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

async function spawnRedis(options: LocalRedisOptions): Promise<LocalRedis> {
  await mkdir(options.dataDir, { recursive: true });
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  // No persistence: the demo's state is thrown away with the server.
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', options.dataDir];
  args.push('--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction');
  const child: ChildProcess = spawn(options.redisServer ?? 'redis-server', args, { stdio: 'ignore' });
  let spawnError: Error | undefined;
  child.on('error', (error) => (spawnError = error));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null || spawnError) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  };
  for (let i = 0; i < 100; i += 1) {
    if (spawnError) {
      const missing = (spawnError as NodeJS.ErrnoException).code === 'ENOENT';
      throw missing ? new RedisServerMissingError(INSTALL_HINT) : spawnError;
    }
    if (child.exitCode !== null) throw new Error(`redis-server exited with status ${child.exitCode}`);
    if (await answersPing(url)) return { url, source: 'spawned', stop };
    await delay(50);
  }
  await stop();
  throw new Error(`redis-server did not answer on port ${port}`);
}

/** REDIS_URL if set, else a Redis answering at the probe address, else a redis-server of our own. */
export async function obtainRedis(options: LocalRedisOptions): Promise<LocalRedis> {
  const noop = () => Promise.resolve();
  if (options.redisUrl !== undefined) return { url: options.redisUrl, source: 'REDIS_URL', stop: noop };
  const probeUrl = `redis://${options.probeAddress}`;
  if (URL.canParse(probeUrl) && (await answersPing(probeUrl))) {
    return { url: probeUrl, source: 'probe', stop: noop };
  }
  return spawnRedis(options);
}
