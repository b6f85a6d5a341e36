import assert from 'node:assert/strict';
import { mkdtemp, open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { writeFinalManifests } from '../src/output/final-manifest.js';
import type { ManifestEntry } from '../src/output/manifest-entry.js';
import { forEachLine, readLineSpans, type LineSpan } from '../src/report/jsonl-lines.js';
import { decodeManifestLine } from '../src/report/manifest-line.js';
import { openStreamedFile } from '../src/report/streamed-file.js';
import { manifestEntryFixture } from './helpers/manifest-entry.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tts-lines-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('lines stream with their byte spans across chunk boundaries, CRLF and a torn last line', async () => {
  // Over 2 MiB, so lines straddle the reader's 1 MiB chunks; multi-byte characters shift offsets.
  const lines = Array.from({ length: 30_000 }, (_, i) => `{"i":${i},"t":"${'é🎧x'.repeat(i % 17)}"}`);
  const text = `${lines.slice(0, -1).join('\n')}\r\n\n${lines.at(-1)}`;
  const path = join(dir, 'lines.jsonl');
  await writeFile(path, text);
  const seen: { line: string; span: LineSpan }[] = [];
  assert.equal(await forEachLine(path, (line, span) => seen.push({ line, span })), true);
  assert.deepEqual(
    seen.map((entry) => entry.line),
    lines,
  );
  const bytes = Buffer.from(text);
  for (const entry of [seen[0], seen[12_345], seen.at(-2), seen.at(-1)]) {
    assert.ok(entry);
    const { line, span } = entry;
    assert.equal(bytes.toString('utf8', span.offset, span.offset + span.bytes).replace(/\r$/, ''), line);
  }
  const handle = await open(path, 'r');
  try {
    const wanted = [seen[29_000], seen[3], seen[4], seen[20_000], seen[5]].map((entry) => entry?.span);
    const read = await readLineSpans(handle, wanted as LineSpan[]);
    assert.deepEqual(read, [lines[29_000], lines[3], lines[4], lines[20_000], lines[5]]);
  } finally {
    await handle.close();
  }
  assert.equal(await forEachLine(join(dir, 'absent.jsonl'), () => {}), false);
});

test('manifest lines: torn, foreign or pre-content_hash lines are not entries', () => {
  const entry = manifestEntryFixture({ id: 'a', content_hash: '0123456789abcdef' });
  assert.deepEqual(decodeManifestLine(JSON.stringify(entry)), entry);
  assert.equal(decodeManifestLine(JSON.stringify(entry).slice(0, -5)), undefined);
  const { content_hash: _hash, ...old } = entry;
  assert.equal(decodeManifestLine(JSON.stringify(old)), undefined);
  assert.equal(decodeManifestLine(JSON.stringify({ ...entry, status: 'done' })), undefined);
  assert.equal(decodeManifestLine('[1,2]'), undefined);
});

test('the final manifests are byte for byte what JSON.stringify and the CSV writer made', async () => {
  const entries: ManifestEntry[] = [
    manifestEntryFixture({ id: 'b', seq: 1, metadata: { chapter: '=1+1', title: 'One' } }),
    manifestEntryFixture({ id: 'a', seq: 0, metadata: { chapter: '2' }, error: 'say "hi", then\nstop' }),
  ];
  await writeFinalManifests(dir, entries);
  const ordered = [entries[1], entries[0]].map((entry) => {
    const { content_hash: _hash, ...shown } = entry as ManifestEntry;
    return shown;
  });
  assert.equal(await readFile(join(dir, 'manifest.json'), 'utf8'), `${JSON.stringify(ordered, null, 2)}\n`);
  const csv = await readFile(join(dir, 'manifest.csv'), 'utf8');
  assert.match(
    csv,
    /^id,line,status,.*,calls,resubmit_reasons,chapter,title\r\na,.*"say ""hi"", then\nstop".*,2,\r\nb,.*,'=1\+1,One\r\n$/s,
  );
  await writeFinalManifests(dir, []);
  assert.equal(await readFile(join(dir, 'manifest.json'), 'utf8'), '[]\n');
});

test('a streamed file appears whole at commit, never in part; an aborted one leaves nothing', async () => {
  const file = await openStreamedFile(dir, 'big.json');
  for (let i = 0; i < 3000; i += 1) await file.write(`${'x'.repeat(999)}\n`);
  await assert.rejects(readFile(join(dir, 'big.json')), /ENOENT/);
  await file.commit();
  assert.equal((await readFile(join(dir, 'big.json'))).length, 3_000_000);
  const aborted = await openStreamedFile(dir, 'big.json');
  await aborted.write('partial');
  await aborted.abort();
  assert.equal((await readFile(join(dir, 'big.json'))).length, 3_000_000);
  assert.deepEqual(
    (await readdir(dir)).filter((name) => name.endsWith('.tmp')),
    [],
  );
});
