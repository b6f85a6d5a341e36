import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeSandbox, type Sandbox } from './fixtures/scripts/enqueue-harness.js';
import { rowCounts } from './helpers/enqueue-rows.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';

// Defect 2: two `enqueue f.csv --run e` started at once both treated the run as new (8 of 8 tries).
let redis: PrivateRedis;
let sandbox: Sandbox;
before(async () => {
  redis = await startPrivateRedis();
  sandbox = await makeSandbox(redis.url, uniquePrefix('cc'));
});
after(async () => {
  await sandbox.close();
  await redis.stop();
});

const ROWS = 400;
const script = `id,text\n${Array.from({ length: ROWS }, (_, i) => `r${i},Sentence ${i}.`).join('\n')}\n`;

test('two enqueues of one run started together: one adds the rows, the other finds them queued', async () => {
  await sandbox.write('f.csv', script);
  for (let attempt = 0; attempt < 4; attempt += 1) {
    const run = `e${attempt}`;
    const outcomes = await Promise.all([
      sandbox.enqueue('f.csv', '--run', run),
      sandbox.enqueue('f.csv', '--run', run),
    ]);
    for (const outcome of outcomes) assert.equal(outcome.code, 0, outcome.stderr);
    const counts = outcomes.map((outcome) => rowCounts(outcome.stdout));
    const news = counts.map((count) => count['new']).sort((a, b) => (a ?? 0) - (b ?? 0));
    assert.deepEqual(news, [0, ROWS], `try ${attempt}: ${JSON.stringify(counts)}`);
    assert.deepEqual(
      counts.map((count) => count['unchanged']).sort((a, b) => (a ?? 0) - (b ?? 0)),
      [0, ROWS],
    );
  }
  assert.equal(await sandbox.queue().count(), 4 * ROWS);
});
