import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { claimRunDir, RUN_MARK_FILE, RunDirInUseError, verifyRunMark } from '../src/output/run-mark.js';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tts-mark-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('the first claim writes the mark; the same run finds it again; workers verify it', async () => {
  const dir = join(root, 'out', 'e');
  const now = new Date('2026-12-01T10:00:00.000Z');
  const mark = await claimRunDir(dir, { prefix: 'tts', run: 'e' }, { now });
  assert.deepEqual(Object.keys(mark).sort(), ['created_at', 'prefix', 'run', 'run_id']);
  assert.equal(mark.created_at, now.toISOString());
  assert.match(mark.run_id, /^[0-9a-f]{24}$/);
  assert.deepEqual(JSON.parse(await readFile(join(dir, RUN_MARK_FILE), 'utf8')), mark);
  assert.deepEqual(await readdir(dir), [RUN_MARK_FILE], 'no temporary file left');
  assert.deepEqual(await claimRunDir(dir, { prefix: 'tts', run: 'e' }, { runId: 'other' }), mark);

  assert.equal(await verifyRunMark(dir, { prefix: 'tts', run: 'e', runId: mark.run_id }), 'ok');
  assert.equal(await verifyRunMark(dir, { prefix: 'tts', run: 'e', runId: 'another-run' }), 'mismatch');
  assert.equal(await verifyRunMark(dir, { prefix: 'other', run: 'e', runId: mark.run_id }), 'mismatch');
  assert.equal(
    await verifyRunMark(join(root, 'nowhere'), { prefix: 'tts', run: 'e', runId: 'x' }),
    'missing',
  );
  await rm(join(dir, RUN_MARK_FILE));
  assert.equal(await verifyRunMark(dir, { prefix: 'tts', run: 'e', runId: mark.run_id }), 'missing');
  // Made again with the id the run's meta keeps: workers holding that id accept it.
  const again = await claimRunDir(dir, { prefix: 'tts', run: 'e' }, { runId: mark.run_id });
  assert.equal(again.run_id, mark.run_id);
});

test('another prefix or run name is refused with both named; an unreadable mark too', async () => {
  const dir = join(root, 'shared', 'e');
  await claimRunDir(dir, { prefix: 'tts', run: 'e' });
  await assert.rejects(claimRunDir(dir, { prefix: 'night', run: 'e' }), (error) => {
    assert.ok(error instanceof RunDirInUseError);
    assert.match(
      error.message,
      /belongs to run `e` of queue prefix `tts` \(created at .+\), not to run `e` of queue prefix `night`/,
    );
    assert.match(error.message, /another --out or --run, or delete the directory/);
    return true;
  });
  await assert.rejects(claimRunDir(dir, { prefix: 'tts', run: 'f' }), RunDirInUseError);
  const broken = join(root, 'broken');
  await claimRunDir(broken, { prefix: 'tts', run: 'b' });
  await writeFile(join(broken, RUN_MARK_FILE), '{"half":');
  await assert.rejects(claimRunDir(broken, { prefix: 'tts', run: 'b' }), /cannot be read/);
  assert.equal(await verifyRunMark(broken, { prefix: 'tts', run: 'b', runId: 'x' }), 'mismatch');
});

test('two runs claiming one new directory at once: exactly one gets it', async () => {
  const dir = join(root, 'race', 'e');
  const results = await Promise.allSettled(
    Array.from({ length: 8 }, (_, i) => claimRunDir(dir, { prefix: `p${i}`, run: 'e' })),
  );
  assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
  for (const result of results) {
    if (result.status === 'rejected') assert.ok(result.reason instanceof RunDirInUseError);
  }
  assert.deepEqual(await readdir(dir), [RUN_MARK_FILE]);
});
