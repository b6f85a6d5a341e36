import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startSimulator, type RunningSimulator } from '../src/simulator/server.js';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { runCli } from './helpers/cli.js';
import { enqueueRowsOk, type ScriptRow } from './helpers/enqueue-rows.js';
import { uniquePrefix } from './helpers/redis.js';
import { startLocalCluster } from './helpers/redis-cluster.js';
import { makeCertificates, startTlsRedis, type TlsRedis } from './helpers/redis-tls.js';
import { settled, startTestWorker } from './helpers/worker.js';

// A redis-server that speaks only TLS, with a certificate authority made in the test: the
// product reaches it with `rediss://` and REDIS_TLS_CA_FILE, and refuses a server its CA did not sign.

let redis: TlsRedis;
let outRoot: string;
let simulator: RunningSimulator;
before(async () => {
  redis = await startTlsRedis();
  outRoot = await mkdtemp(join(tmpdir(), 'tts-tls-run-'));
  simulator = await startSimulator({ port: 0, latencyScale: 0.002, seed: 11, rate5xx: 0.1 });
});
after(async () => {
  await simulator.close();
  await redis.stop();
  await rm(outRoot, { recursive: true, force: true });
});

const ROWS: ScriptRow[] = Array.from({ length: 6 }, (_, i) => ({
  id: `t${i + 1}`,
  text: `Sentence ${i + 1}, sent over an encrypted connection.`,
}));

test('enqueue, worker and status over rediss:// with the CA file', async () => {
  const env = {
    REDIS_URL: redis.url,
    REDIS_TLS_CA_FILE: redis.caFile,
    TTS_QUEUE_PREFIX: uniquePrefix('tls'),
    TTS_OUT_DIR: outRoot,
    SEGMIND_BASE_URL: simulator.url,
    SEGMIND_API_KEY: 'sk-tls-test',
    SEGMIND_RPM: '100000',
    TTS_SHUTDOWN_GRACE_MS: '200',
  };
  const target = { env, run: 'secure', outRoot, scriptPath: join(outRoot, 'secure.jsonl') };
  assert.match(await enqueueRowsOk(target, ROWS), /new 6/);
  const { rowWorker } = startTestWorker({ env, concurrency: 3 });
  assert.deepEqual(await settled(rowWorker.worker, ROWS.length), { completed: 6, failed: 0 });
  await rowWorker.stop();

  const entries = JSON.parse(await readFile(join(outRoot, 'secure', 'manifest.json'), 'utf8')) as {
    status: string;
  }[];
  assert.deepEqual(
    entries.map((entry) => entry.status),
    ROWS.map(() => 'completed'),
  );
  assertBilledAtMostRecorded(simulator.ledger(), entries);
  const status = await runCli(['status', '--run', 'secure'], env, outRoot);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /done 6 {2}failed 0/);
});

test('a server certificate the CA file did not sign is refused, and so is a missing CA file', async () => {
  const base = { REDIS_URL: redis.url, TTS_QUEUE_PREFIX: uniquePrefix('tls') };
  const stranger = await runCli(['status'], { ...base, REDIS_TLS_CA_FILE: redis.strangerCaFile }, outRoot);
  assert.equal(stranger.code, 1);
  assert.match(stranger.stderr, /Cannot reach Redis at rediss:\/\/127\.0\.0\.1:\d+.*certificate/i);

  const missing = await runCli(
    ['status'],
    { ...base, REDIS_TLS_CA_FILE: join(outRoot, 'none.pem') },
    outRoot,
  );
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /REDIS_TLS_CA_FILE/);
});

test('a Redis Cluster over TLS: enqueue, worker and status with rediss:// and the CA file', async () => {
  const certs = join(outRoot, 'certs');
  await mkdir(certs);
  await makeCertificates(certs);
  const cluster = await startLocalCluster({ masters: 3, tlsDir: certs });
  try {
    const env = {
      REDIS_CLUSTER_NODES: cluster.nodesSetting,
      REDIS_URL: 'rediss://',
      REDIS_TLS_CA_FILE: join(certs, 'ca.crt'),
      TTS_QUEUE_PREFIX: `{${uniquePrefix('tlsc')}}`,
      TTS_OUT_DIR: outRoot,
      SEGMIND_BASE_URL: simulator.url,
      SEGMIND_API_KEY: 'sk-tls-test',
      SEGMIND_RPM: '100000',
      TTS_SHUTDOWN_GRACE_MS: '200',
    };
    const target = { env, run: 'secure-cluster', outRoot, scriptPath: join(outRoot, 'secure-cluster.jsonl') };
    // Texts of its own: the simulator's ledger is shared with the first test (judged: `current`).
    const rows = ROWS.map((row) => ({ ...row, text: `${row.text} Through the cluster.` }));
    assert.match(await enqueueRowsOk(target, rows), /new 6/);
    const { rowWorker } = startTestWorker({ env, concurrency: 3 });
    assert.deepEqual(await settled(rowWorker.worker, rows.length), { completed: 6, failed: 0 });
    await rowWorker.stop();
    const status = await runCli(['status', '--run', 'secure-cluster'], env, outRoot);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /done 6 {2}failed 0/);
    const manifest = await readFile(join(outRoot, 'secure-cluster', 'manifest.json'), 'utf8');
    assertBilledAtMostRecorded(
      simulator.ledger(),
      JSON.parse(manifest) as Record<string, unknown>[],
      'current',
    );

    const plain = await runCli(['status'], { ...env, REDIS_URL: 'redis://' }, outRoot);
    assert.equal(plain.code, 1, 'without rediss:// the TLS-only nodes do not answer');
  } finally {
    await cluster.stop();
  }
});
