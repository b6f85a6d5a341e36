import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from '../../src/demo/local-redis.js';

const run = promisify(execFile);

export type TlsRedis = {
  /** `rediss://127.0.0.1:P`. */
  readonly url: string;
  /** The PEM file of the certificate authority that signed the server's certificate. */
  readonly caFile: string;
  /** The PEM file of another authority, which did not sign it. */
  readonly strangerCaFile: string;
  stop(): Promise<void>;
};

/**
 * A certificate authority (`ca.crt`) and a server certificate (`server.crt`, `server.key`) for
 * 127.0.0.1 and localhost, made with openssl in `dir`; and a second authority that signed
 * nothing (`stranger.crt`).
 */
export async function makeCertificates(dir: string): Promise<void> {
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  for (const ca of ['ca', 'stranger']) {
    await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=tts-batch test ${ca}`,
      '-keyout', `${ca}.key`, '-out', `${ca}.crt`); // prettier-ignore
  }
  await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key',
    '-out', 'server.csr'); // prettier-ignore
  await writeFile(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
    '-days', '2', '-extfile', 'san.ext', '-out', 'server.crt'); // prettier-ignore
}

/**
 * A `redis-server` that speaks only TLS (`--port 0 --tls-port P`), with a certificate made in
 * the test, on a free port in a temporary directory. Stop it in `after()`.
 */
export async function startTlsRedis(): Promise<TlsRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'tts-redis-tls-'));
  let child: ChildProcess | undefined;
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await makeCertificates(dir);
    const port = await freePort();
    child = spawn(
      'redis-server',
      [
        '--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--dir', dir,
        '--tls-cert-file', join(dir, 'server.crt'), '--tls-key-file', join(dir, 'server.key'),
        '--tls-ca-cert-file', join(dir, 'ca.crt'), '--tls-auth-clients', 'no',
        '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction',
      ], // prettier-ignore
      { stdio: 'ignore' },
    );
    const ping = ['--tls', '--cacert', join(dir, 'ca.crt'), '-h', '127.0.0.1', '-p', String(port), 'ping'];
    for (let i = 0; ; i += 1) {
      const reply = await run('redis-cli', ping).then(
        (out) => out.stdout.trim(),
        () => '',
      );
      if (reply === 'PONG') break;
      if (i > 200 || child.exitCode !== null)
        throw new Error(`redis-server (TLS) did not start on port ${port}`);
      await delay(25);
    }
    return {
      url: `rediss://127.0.0.1:${port}`,
      caFile: join(dir, 'ca.crt'),
      strangerCaFile: join(dir, 'stranger.crt'),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
