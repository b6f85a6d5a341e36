import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { makeSandbox, type Sandbox } from './fixtures/scripts/enqueue-harness.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';

let redis: PrivateRedis;
let box: Sandbox;
before(async () => {
  redis = await startPrivateRedis();
  box = await makeSandbox(redis.url, uniquePrefix('small'));
});
after(async () => {
  await box.close();
  await redis.stop();
});

test('a directory given as the script is named as one (not "unknown script format")', async () => {
  await mkdir(join(box.dir, 'scripts'));
  await mkdir(join(box.dir, 'book.csv'));
  for (const name of ['scripts', 'book.csv']) {
    const result = await box.enqueue(name);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /is a directory; give a script file \(\.csv, \.jsonl or \.ndjson\)/, name);
    assert.doesNotMatch(result.stderr, /unknown script format/);
  }
  assert.deepEqual(await box.keys(), []);
});

test('a duplicate id is reported even when its first row is invalid', async () => {
  await box.write('dup.csv', 'id,text\na,\nb,Fine.\na,Hello.\n');
  const result = await box.enqueue('dup.csv');
  assert.equal(result.code, 2);
  assert.match(result.stderr, /dup\.csv:2: text: is empty/);
  assert.match(result.stderr, /dup\.csv:4: id: `a` is already the id of line 2/);
  const skipping = await box.enqueue('dup.csv', '--skip-invalid', '--dry-run');
  assert.equal(skipping.code, 0, skipping.stderr);
  assert.match(skipping.stdout, /^rows: +1$/m);
});

test('counts agree in number: "1 valid row", "1 of 2 rows are invalid"', async () => {
  await box.write('one.csv', 'id,text\na,\nb,Fine.\n');
  const result = await box.enqueue('one.csv');
  assert.equal(result.code, 2);
  assert.match(result.stderr, /1 of 2 rows are invalid; nothing was enqueued .*to enqueue the 1 valid row\)/);
  const skipped = await box.enqueue('one.csv', '--skip-invalid', '--dry-run');
  assert.match(skipped.stderr, /skipping 1 invalid row \(--skip-invalid\)/);
});
