import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';
import { makeSandbox, type Sandbox } from './fixtures/scripts/enqueue-harness.js';

let redis: PrivateRedis;
const sandboxes: Sandbox[] = [];
before(async () => {
  redis = await startPrivateRedis();
});
after(async () => {
  for (const sandbox of sandboxes) await sandbox.close();
  await redis.stop();
});

async function sandbox(): Promise<Sandbox> {
  const made = await makeSandbox(redis.url, uniquePrefix('he'));
  sandboxes.push(made);
  return made;
}

/** Refused whole: exit 2, the message names file:line, and nothing reached Redis. */
async function assertRefused(box: Sandbox, file: string, args: readonly string[], says: RegExp) {
  const outcome = await box.enqueue(file, ...args);
  assert.equal(outcome.code, 2, outcome.stderr);
  assert.match(outcome.stderr, says);
  assert.ok(outcome.stderr.length < 5000, `a short message, got ${outcome.stderr.length} chars`);
  assert.deepEqual(await box.keys(), [], 'nothing enqueued');
  return outcome;
}

const TEN_MB = 10 * 1024 * 1024;

test('a 10 MB row is refused as too long, with file:line, without the memory to match', async () => {
  const box = await sandbox();
  const csv = await box.write('big.csv', `id,text\n1,ok\n2,"${'x'.repeat(TEN_MB)}"\n3,ok\n`);
  const jsonl = await box.write(
    'big.jsonl',
    `{"text":"ok"}\n${JSON.stringify({ text: 'y'.repeat(TEN_MB) })}\n{"text":"ok"}\n`,
  );
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  await assertRefused(box, csv, [], /big\.csv:3: csv: a row longer than 1000000 characters/);
  await assertRefused(box, jsonl, [], /big\.jsonl:2: json: a line longer than 1000000 characters/);
  const grownMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  // The reader stops at the record cap: the heap never holds the whole 10 MB row several times over.
  assert.ok(grownMb < 100, `heap grew ${grownMb.toFixed(0)} MB`);
});

test('a 100,000-column header: handled in linear time; without `text`, a short message', async () => {
  const box = await sandbox();
  const columns = Array.from({ length: 100_000 }, (_, i) => `c${i}`);
  const wide = await box.write(
    'wide.csv',
    `text,${columns.join(',')}\nhello,${columns.map(() => 'v').join(',')}\nshort row\n`,
  );
  const started = process.hrtime.bigint();
  const outcome = await box.enqueue(wide, '--dry-run', '--skip-invalid');
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  assert.equal(outcome.code, 0, outcome.stderr);
  assert.match(outcome.stderr, /wide\.csv:3: row: 1 fields, but the header has 100001/);
  // Not a wall-clock limit on the test, a guard against a quadratic blowup (100,000² is hours).
  assert.ok(seconds < 30, `took ${seconds.toFixed(1)} s`);

  const noText = await box.write('notext.csv', `${columns.join(',')}\n${columns.map(() => 'v').join(',')}\n`);
  const refused = await assertRefused(box, noText, [], /notext\.csv:1: header: no `text` column/);
  assert.match(refused.stderr, /`c9` and 99990 more/);
});

test('deeply nested JSON is refused as a row problem, never a stack overflow', async () => {
  const box = await sandbox();
  const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
  const deepObject = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
  const file = await box.write(
    'deep.jsonl',
    `{"text":"ok"}\n{"text":${deep}}\n{"text":"hi","meta":${deepObject}}\n${deep}\n`,
  );
  const outcome = await assertRefused(box, file, [], /deep\.jsonl:2: text: expected a string, got an array/);
  assert.match(outcome.stderr, /deep\.jsonl:3: meta: metadata must be a string, number or boolean/);
  assert.match(outcome.stderr, /deep\.jsonl:4: json: expected one JSON object per line, got an array/);
});

test('control characters other than tab and line breaks are refused in text and metadata', async () => {
  const box = await sandbox();
  const file = await box.write(
    'ctl.csv',
    'id,text,title\n' +
      'a,"tab\tand\r\nline breaks are fine",ok\n' +
      'b,"bell\u0007",ok\n' +
      'c,"escape \u001b[31mred",ok\n' +
      'd,fine,"title \u007f"\n',
  );
  const outcome = await assertRefused(box, file, [], /ctl\.csv:4: text: control character U\+0007/);
  assert.match(outcome.stderr, /ctl\.csv:5: text: control character U\+001B at character 8/);
  assert.match(outcome.stderr, /ctl\.csv:6: title: control character U\+007F/);
  assert.ok(
    !outcome.stderr.includes('\u001b') && !outcome.stderr.includes('\u0007'),
    'the message shows them escaped, never raw',
  );
  assert.doesNotMatch(outcome.stderr, /ctl\.csv:2:/);
  // NUL is refused before parsing (a binary file), with its line.
  const nul = await box.write('nul.csv', 'id,text\na,ok\nb,"nu\u0000l"\n');
  await assertRefused(box, nul, [], /nul\.csv:3: encoding: NUL byte/);
});

test('traversal in --run and in ids is refused; nothing is written', async () => {
  const box = await sandbox();
  const file = await box.write('ok.csv', 'id,text\na,Hello.\n');
  for (const run of ['../x', 'a/b', '..', '.', '.hidden', '/etc', 'a\\b']) {
    const outcome = await box.enqueue(file, '--run', run);
    assert.equal(outcome.code, 2, `--run ${run}: ${outcome.stderr}`);
    assert.match(outcome.stderr, /Expected `--run` to be 1-128 of/);
  }
  const ids = await box.write('ids.csv', 'id,text\n../../etc/passwd,a\n.hidden,b\n..,c\n/abs,d\n');
  const outcome = await assertRefused(
    box,
    ids,
    [],
    /ids\.csv:2: id: `\.\.\/\.\.\/etc\/passwd` is not a valid id/,
  );
  for (const line of [3, 4, 5]) assert.match(outcome.stderr, new RegExp(`ids\\.csv:${line}: id:`));
  assert.deepEqual((await readdir(box.dir)).sort(), ['ids.csv', 'ok.csv'], 'no output directory made');
});
