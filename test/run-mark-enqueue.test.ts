import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { enqueueRows, enqueueRowsOk, runDir, type EnqueueTarget } from './helpers/enqueue-rows.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';

// Defect 8: the same TTS_OUT_DIR and run name under another TTS_QUEUE_PREFIX replaced the old
// run's files. The run directory now carries the run it belongs to.
let redis: PrivateRedis;
let root: string;
before(async () => {
  redis = await startPrivateRedis();
  root = await mkdtemp(join(tmpdir(), 'tts-mark-enqueue-'));
});
after(async () => {
  await redis.stop();
  await rm(root, { recursive: true, force: true });
});

const ROWS = [
  { id: 'a', text: 'One.' },
  { id: 'b', text: 'Two.' },
];

function target(prefix: string): EnqueueTarget {
  return {
    env: { REDIS_URL: redis.url, TTS_QUEUE_PREFIX: prefix },
    run: 'e',
    outRoot: join(root, 'out'),
    scriptPath: join(root, `${prefix}.jsonl`),
  };
}

test('a run directory of another queue prefix is refused: exit 2, both named, nothing enqueued', async () => {
  const first = target(uniquePrefix('day'));
  await enqueueRowsOk(first, ROWS);
  const second = target(uniquePrefix('night'));
  const refused = await enqueueRows(second, ROWS);
  assert.equal(refused.code, 2, refused.stdout);
  assert.match(refused.stderr, new RegExp(`queue prefix \`${first.env['TTS_QUEUE_PREFIX']}\``));
  assert.match(refused.stderr, new RegExp(`queue prefix \`${second.env['TTS_QUEUE_PREFIX']}\``));
  assert.match(refused.stderr, /another --out or --run, or delete the directory/);
  const client = new Redis(redis.url);
  try {
    assert.deepEqual(await client.keys(`${second.env['TTS_QUEUE_PREFIX']}*`), []);
  } finally {
    client.disconnect();
  }
  // The first run's enqueue goes on as before; another --run for the second is fine.
  assert.match(await enqueueRowsOk(first, ROWS), /new 0, unchanged 2/);
  assert.match(await enqueueRowsOk({ ...second, run: 'e2' }, ROWS), /new 2/);
  assert.deepEqual((await readdir(join(root, 'out'))).sort(), ['e', 'e2']);
});

test("the mark's run id is the run's meta runId", async () => {
  const mine = target(uniquePrefix('id'));
  const run = { ...mine, run: 'ids', outRoot: join(root, 'ids') };
  await enqueueRowsOk(run, ROWS);
  const mark = JSON.parse(await readFile(join(runDir(run), '.tts-run.json'), 'utf8')) as Record<
    string,
    string
  >;
  assert.equal(mark['prefix'], mine.env['TTS_QUEUE_PREFIX']);
  assert.equal(mark['run'], 'ids');
  const client = new Redis(redis.url);
  try {
    assert.equal(await client.hget(`${mine.env['TTS_QUEUE_PREFIX']}:run:ids`, 'runId'), mark['run_id']);
  } finally {
    client.disconnect();
  }
});
