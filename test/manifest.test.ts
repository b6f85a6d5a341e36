import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { csvCell, writeFinalManifests } from '../src/output/final-manifest.js';
import type { ManifestEntry } from '../src/output/manifest-entry.js';
import { manifestEntryFixture } from './helpers/manifest-entry.js';
import { pathInRun, writeFileAtomic } from '../src/output/run-files.js';

test('CSV cells are quoted per RFC 4180 and formulas are neutralised', () => {
  assert.equal(csvCell('plain'), 'plain');
  assert.equal(csvCell('a, b'), '"a, b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('=HYPERLINK("http://x")'), `"'=HYPERLINK(""http://x"")"`);
  assert.equal(csvCell('+1+1'), "'+1+1");
  assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvCell('-2+3'), "'-2+3");
  assert.equal(csvCell(-0.5), '-0.5', 'a negative number stays a number');
  assert.equal(csvCell(null), '');
});

test('files outside the run directory are refused', () => {
  assert.throws(() => pathInRun('/tmp/run', '../escape.wav'), /outside/);
  assert.throws(() => pathInRun('/tmp/run', 'a/b.wav'), /outside/);
  assert.equal(pathInRun('/tmp/run', 'ok.wav'), '/tmp/run/ok.wav');
});

test('final manifests hold one entry per row in script order, metadata as CSV columns', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tts-manifest-'));
  const entry = (seq: number, id: string): ManifestEntry =>
    manifestEntryFixture({ id, seq, line: seq + 2, metadata: { chapter: '=1+1', title: 'One' } });
  await writeFinalManifests(dir, [entry(1, 'b'), entry(0, 'a')]);
  const json = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as ManifestEntry[];
  assert.deepEqual(
    json.map((e) => e.id),
    ['a', 'b'],
  );
  const csv = (await readFile(join(dir, 'manifest.csv'), 'utf8')).split('\r\n');
  assert.match(csv[0] ?? '', /^id,line,status,.*,chapter,title$/);
  assert.match(csv[1] ?? '', /,'=1\+1,One$/);
  await writeFileAtomic(dir, 'x.wav', 'data');
  assert.deepEqual(
    (await readdir(dir)).filter((f) => f.endsWith('.tmp')),
    [],
  );
  await rm(dir, { recursive: true, force: true });
});

test('manifest.csv has resubmit_reasons and seconds rounded to milliseconds; manifest.json keeps the numbers', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tts-manifest-csv-'));
  const entry = manifestEntryFixture({
    id: 'a',
    duration_s: 1.7333333333333334,
    inference_time_s: 7.123456,
    resubmit_reasons: ['expired', 'ambiguous'],
    submits: 3,
    metadata: { chapter: '1' },
  });
  await writeFinalManifests(dir, [entry, manifestEntryFixture({ id: 'b', seq: 1, duration_s: 2 })]);
  const table = parse<Record<string, string>>(await readFile(join(dir, 'manifest.csv'), 'utf8'), {
    columns: true,
  });
  assert.equal(table[0]?.['duration_s'], '1.733');
  assert.equal(table[0]?.['inference_time_s'], '7.123');
  assert.equal(table[0]?.['resubmit_reasons'], 'expired;ambiguous');
  assert.equal(table[0]?.['chapter'], '1');
  assert.equal(table[1]?.['duration_s'], '2');
  assert.equal(table[1]?.['resubmit_reasons'], '');
  const json = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as ManifestEntry[];
  assert.equal(json[0]?.duration_s, 1.7333333333333334, 'manifest.json keeps the full number');
  await rm(dir, { recursive: true, force: true });
});

test('no temporary file outlives the next write of the same file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tts-temps-'));
  const host = hostname().replace(/[^A-Za-z0-9-]/g, '-');
  // A crashed audio write (sole writer: fixed temporary name), a crashed manifest writer on this
  // host (its process gone), and a manifest writer still running (this process).
  await writeFile(join(dir, '.a.wav.tmp'), 'half');
  await writeFile(join(dir, `.manifest.json.${host}.999999999.dead.tmp`), 'half');
  await writeFile(join(dir, `.manifest.json.${host}.${process.pid}.live.tmp`), 'busy');
  await writeFileAtomic(dir, 'a.wav', 'whole', { writer: 'sole' });
  await writeFileAtomic(dir, 'manifest.json', '[]');
  assert.deepEqual((await readdir(dir)).sort(), [
    `.manifest.json.${host}.${process.pid}.live.tmp`,
    'a.wav',
    'manifest.json',
  ]);
  assert.equal(await readFile(join(dir, 'a.wav'), 'utf8'), 'whole');
  await rm(dir, { recursive: true, force: true });
});
