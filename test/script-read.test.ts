import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_TEMPERATURE } from '../src/segmind/models.js';
import { decodeUtf8 } from '../src/script/decode-utf8.js';
import { ScriptError } from '../src/script/problems.js';
import { readCsvRecords } from '../src/script/read-csv.js';
import { readJsonlRecords } from '../src/script/read-jsonl.js';
import { makeIdTable } from '../src/script/id-table.js';
import { defaultRowId } from '../src/script/row-id.js';
import { makeRowIndex } from '../src/script/row-index.js';
import type { RawRecord } from '../src/script/script-row.js';
import { countChars, validateRecord, type ValidationContext } from '../src/script/validate-row.js';

async function* pieces<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield await Promise.resolve(item);
}

/** `bytes` cut into pieces of `size` bytes. */
function chunked(bytes: Uint8Array, size: number): Uint8Array[] {
  const result: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) result.push(bytes.subarray(at, at + size));
  return result;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const result: T[] = [];
  for await (const item of items) result.push(item);
  return result;
}

async function allRecords<T>(batches: AsyncIterable<readonly T[]>): Promise<T[]> {
  return (await collect(batches)).flat();
}

const decode = async (bytes: Uint8Array, size: number) =>
  (await collect(decodeUtf8(pieces(chunked(bytes, size)), 'f.csv'))).join('');

test('UTF-8 decoding survives every chunk boundary, keeps the BOM, and refuses bad bytes by line', async () => {
  const text = '\uFEFFid,text\n1,café 🎧 مرحبا\n2,日本語\n';
  const bytes = Buffer.from(text);
  for (const size of [1, 2, 3, 5, 7, 1024]) assert.equal(await decode(bytes, size), text, `size ${size}`);
  const bad = Buffer.concat([Buffer.from('a\nb\nc'), Buffer.from([0xf0, 0x9f, 0x41]), Buffer.from('\n')]);
  for (const size of [1, 2, 4, 100]) {
    await assert.rejects(decode(bad, size), (error: unknown) => {
      assert.ok(error instanceof ScriptError);
      assert.deepEqual(
        error.problems.map((problem) => [problem.line, problem.field]),
        [[3, 'encoding']],
      );
      return true;
    });
  }
  await assert.rejects(
    decode(Buffer.from([0x61, 0x0a, 0xe2, 0x82]), 1),
    /f\.csv:2: encoding: the file ends inside/,
  );
});

test('CSV records start on the right line with LF, CRLF, quoted newlines and blank lines', async () => {
  for (const newline of ['\n', '\r\n', '\r']) {
    const text = ['id,text', '1,"a', 'b"', '', '', '2,c', '3,"x""y"', '4,"p', '', 'q"', '5,last'].join(
      newline,
    );
    const records = await allRecords(readCsvRecords(pieces([text]), 'f.csv'));
    assert.deepEqual(
      records.map((record) => [record.line, record.fields.get('id'), record.fields.get('text')]),
      [
        [2, '1', `a${newline}b`],
        [6, '2', 'c'],
        [7, '3', 'x"y'],
        [8, '4', `p${newline}${newline}q`],
        [11, '5', 'last'],
      ],
    );
  }
  const split = await allRecords(
    readCsvRecords(pieces(['id,te', 'xt\r', '\n1,"hello,', ' world"\r', '\n2,b']), 'f.csv'),
  );
  assert.deepEqual(
    split.map((record) => [record.line, record.fields.get('text')]),
    [
      [2, 'hello, world'],
      [3, 'b'],
    ],
  );
});

test('JSONL records: one object per line, blank lines skipped, line numbers kept', async () => {
  const records = await allRecords(
    readJsonlRecords(
      pieces(['\uFEFF{"text":"a"}\r\n\n  \n{"te', 'xt":"b","n":1}\n[1]\n{"text":"c"}']),
      'f.jsonl',
    ),
  );
  assert.deepEqual(
    records.map((record) => [
      record.line,
      record.seq,
      record.fields.get('text') ?? null,
      record.problems.length,
    ]),
    [
      [1, 0, 'a', 0],
      [4, 1, 'b', 0],
      [5, 2, null, 1],
      [6, 3, 'c', 0],
    ],
  );
});

const CONTEXT: ValidationContext = {
  defaults: {
    model: 'gemini-3.1-flash-tts',
    voice_1: undefined,
    voice_2: undefined,
    temperature: DEFAULT_TEMPERATURE,
  },
  maxChars: 10,
};

function record(fields: Record<string, unknown>): RawRecord {
  return { line: 9, seq: 3, fields: new Map(Object.entries(fields)), problems: [] };
}

test('validation: trimmed text sent, model defaults applied, metadata carried as strings', () => {
  const result = validateRecord(
    record({ text: '  Hi 🎧  ', id: ' a-1 ', chapter: 2, __proto__x: 'k' }),
    CONTEXT,
  );
  assert.ok(result.ok);
  assert.deepEqual(result.row.request, {
    text: 'Hi 🎧',
    model: 'gemini-3.1-flash-tts',
    voice_1: 'Kore',
    temperature: 0.4,
  });
  assert.equal(result.row.id, 'a-1');
  assert.equal(result.row.chars, 4);
  assert.deepEqual(result.row.meta, { chapter: '2', __proto__x: 'k' });
  const proto = validateRecord(
    {
      line: 1,
      seq: 0,
      fields: new Map([
        ['text', 'x'],
        ['__proto__', 'y'],
      ]),
      problems: [],
    },
    CONTEXT,
  );
  assert.ok(proto.ok);
  assert.equal(Object.getOwnPropertyDescriptor(proto.row.meta, '__proto__')?.value, 'y');
  const model25 = validateRecord(record({ text: 'x', model: 'gemini-2.5-flash-tts' }), CONTEXT);
  assert.ok(model25.ok);
  assert.equal(model25.row.request.voice_1, 'Zephyr');
});

test('validation: the length limit counts characters, not UTF-16 units', () => {
  assert.equal(countChars('🎧🎧'), 2);
  assert.ok(validateRecord(record({ text: '🎧'.repeat(10) }), CONTEXT).ok);
  const long = validateRecord(record({ text: '🎧'.repeat(11) }), CONTEXT);
  assert.ok(!long.ok);
  assert.match(long.problems[0]?.message ?? '', /^11 characters, more than the limit of 10/);
});

test('validation: every problem of a row is reported, with the value shown and truncated', () => {
  const result = validateRecord(
    record({
      text: '',
      id: `bad id ${'x'.repeat(80)}`,
      voice_1: 'Nobody',
      temperature: -1,
      model: 'tts',
      extra: [1],
    }),
    CONTEXT,
  );
  assert.ok(!result.ok);
  assert.deepEqual(
    result.problems.map((problem) => problem.field),
    ['text', 'id', 'model', 'voice_1', 'temperature', 'extra'],
  );
  assert.match(result.problems[1]?.message ?? '', /^`bad id x+…` is not a valid id/);
  assert.ok((result.problems[1]?.message.length ?? 0) < 120);
});

test('default ids are zero-padded to the width of the row count', () => {
  assert.equal(defaultRowId(0, 9), '1');
  assert.equal(defaultRowId(0, 10), '01');
  assert.equal(defaultRowId(41, 1000), '0042');
});

test('the id table finds every id among many, across its growth, and nothing else', () => {
  const ids = Array.from({ length: 20_000 }, (_, i) => `row-${i.toString(36)}`);
  const table = makeIdTable((seq) => ids[seq]);
  ids.forEach((id, seq) => {
    assert.equal(table.get(id), undefined);
    table.add(id, seq);
  });
  assert.equal(table.get('row-0'), 0);
  assert.equal(table.get(ids[12_345] ?? ''), 12_345);
  assert.equal(table.get('row-x-missing'), undefined);
});

test('the row index packs ids and hashes and gives default ids once all rows are in', () => {
  const index = makeRowIndex();
  const hash = '0123456789abcdef';
  for (let seq = 0; seq < 3000; seq += 1) {
    const own = seq % 3 === 0 ? `own-${seq}` : undefined;
    index.push({
      line: seq + 2,
      id: own,
      contentHash: seq === 7 ? undefined : hash,
      chars: seq,
      model: seq === 7 ? undefined : 'gemini-2.5-flash-tts',
    });
  }
  assert.equal(index.count(), 3000);
  assert.equal(index.id(0), 'own-0');
  assert.equal(index.id(1), '0002');
  assert.equal(index.id(2997), 'own-2997');
  assert.equal(index.id(2999), '3000');
  assert.equal(index.contentHash(5), hash);
  assert.equal(index.contentHash(7), undefined);
  assert.equal(index.isValid(7), false);
  assert.equal(index.model(8), 'gemini-2.5-flash-tts');
  assert.equal(index.line(2999), 3001);
  index.invalidate(8);
  assert.equal(index.isValid(8), false);
});
