import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { checkDownloadUrl } from '../src/segmind/download-guard.js';
import { DownloadError } from '../src/segmind/errors.js';
import { listTree, outcomesById } from './helpers/hostile-files.js';
import { startStubApi, type StubApi } from './helpers/hostile-stub-api.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';
import { addRows } from './helpers/rows.js';
import { settled, startTestWorker } from './helpers/worker.js';

let redis: PrivateRedis;
let stub: StubApi;
let outRoot: string;
before(async () => {
  redis = await startPrivateRedis();
  stub = await startStubApi();
  outRoot = await mkdtemp(join(tmpdir(), 'tts-downloads-'));
});
after(async () => {
  await stub.close();
  await redis.stop();
  await rm(outRoot, { recursive: true, force: true });
});

/** Output URLs a hostile API could answer with, and the reason the row must fail with. */
const HOSTILE: readonly (readonly [string, RegExp])[] = [
  ['https://169.254.169.254/latest/meta-data/iam/security-credentials/', /private/],
  ['http://169.254.169.254/latest/meta-data/', /scheme http:|private/],
  ['https://10.0.0.1/audio.wav', /private/],
  ['https://[fd00:ec2::254]/audio.wav', /private/],
  ['https://metadata.google.internal/computeMetadata/v1/', /private/],
  ['file:///etc/passwd', /scheme/],
  ['http://example.com/audio.wav', /scheme http:/],
  ['gopher://127.0.0.1:6379/_FLUSHALL', /scheme/],
];

test('an API result pointing the download at a private, link-local or non-https place: the row fails at once with the reason; nothing is fetched', async () => {
  const prefix = uniquePrefix('sd');
  const outDir = join(outRoot, prefix, 'night');
  const rows = HOSTILE.map(([url], i) => ({ id: `h${i + 1}`, text: `output: ${url}` }));
  await addRows(redis.url, prefix, 'night', outDir, rows);
  const { rowWorker } = startTestWorker({
    env: {
      REDIS_URL: redis.url,
      TTS_QUEUE_PREFIX: prefix,
      SEGMIND_BASE_URL: stub.url,
      SEGMIND_API_KEY: 'sk-downloads-key',
      SEGMIND_RPM: '100000',
      TTS_SHUTDOWN_GRACE_MS: '200',
    },
  });
  try {
    const tally = await settled(rowWorker.worker, rows.length);
    assert.deepEqual(tally, { completed: 0, failed: rows.length });
  } finally {
    await rowWorker.stop();
  }
  const outcomes = await outcomesById(redis.url, prefix, 'night');
  const lines = (await readFile(join(outDir, 'manifest.jsonl'), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((text) => JSON.parse(text) as Record<string, unknown>);
  for (const [i, [url, reason]] of HOSTILE.entries()) {
    const outcome = outcomes.get(`h${i + 1}`);
    assert.equal(outcome?.status, 'failed', url);
    assert.match(outcome?.error ?? '', /^DownloadError: /, url);
    assert.match(outcome?.error ?? '', reason, `${url}: ${outcome?.error ?? ''}`);
    const line = lines.find((entry) => entry['id'] === `h${i + 1}`);
    assert.equal(line?.['attempts'], 1, `${url}: not retried (it can never succeed)`);
    assert.equal(outcome?.submits, 1, `${url}: billed once`);
  }
  assert.deepEqual(stub.unexpected, [], 'no download reached the stub');
  assert.deepEqual(
    (await listTree(outDir)).filter(
      (name) =>
        !name.startsWith('manifest.') &&
        name !== '.tts-run.json' &&
        name !== 'report.html' &&
        !name.endsWith('.submits.jsonl'),
    ),
    [],
    'no audio written',
  );
});

test('with a public API base, loopback in any spelling is refused too', () => {
  for (const url of ['https://[::1]/a.wav', 'https://localhost/a.wav', 'https://127.1.2.3/a.wav']) {
    assert.throws(
      () => checkDownloadUrl(url, false),
      (error: unknown) =>
        error instanceof DownloadError && !error.transient && /loopback/.test(error.message),
      url,
    );
  }
});
