import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';
import { makeSandbox } from './fixtures/scripts/enqueue-harness.js';

let redis: PrivateRedis;
before(async () => {
  redis = await startPrivateRedis();
});
after(async () => {
  await redis.stop();
});

type Case = {
  readonly name: string;
  readonly file: string;
  readonly content: string | Uint8Array;
  /** The line the message must name. */
  readonly line: number;
  /** Text the message must contain (the field and something of the value). */
  readonly says: RegExp;
  readonly env?: Record<string, string>;
};

const HEADER = 'id,text,voice_1,voice_2,temperature,model,chapter\n';
const latin1 = Buffer.concat([Buffer.from('id,text\n1,ok\n2,caf'), Buffer.from([0xe9]), Buffer.from('\n')]);
const bigWithBadByte = Buffer.concat([
  Buffer.from(
    'id,text\n' + Array.from({ length: 20_000 }, (_, i) => `r${i},line ${i} of a long script\n`).join(''),
  ),
  Buffer.from([0xc3, 0x28]),
  Buffer.from('\n'),
]);

const CASES: readonly Case[] = [
  {
    name: 'no text column',
    file: 'a.csv',
    content: 'id,body\n1,hello\n',
    line: 1,
    says: /header: no `text` column/,
  },
  { name: 'empty text', file: 'a.csv', content: `${HEADER}1,,,,,,\n`, line: 2, says: /text: is empty/ },
  {
    name: 'whitespace-only text',
    file: 'a.csv',
    content: 'id,text\n1,ok\n2,"   "\n',
    line: 3,
    says: /text: is empty/,
  },
  {
    name: 'text over TTS_MAX_CHARS',
    file: 'a.csv',
    content: `id,text\n1,${'x'.repeat(51)}\n`,
    env: { TTS_MAX_CHARS: '50' },
    line: 2,
    says: /text: 51 characters, more than the limit of 50/,
  },
  {
    name: 'id with a slash',
    file: 'a.csv',
    content: 'id,text\na/b,hi\n',
    line: 2,
    says: /id: `a\/b` is not a valid id/,
  },
  {
    name: 'id starting with a dot',
    file: 'a.csv',
    content: 'id,text\n.hidden,hi\n',
    line: 2,
    says: /id: `\.hidden`/,
  },
  {
    name: 'id too long',
    file: 'a.csv',
    content: `id,text\n${'a'.repeat(129)},hi\n`,
    line: 2,
    says: /id: `a+…`/,
  },
  {
    name: 'duplicate id',
    file: 'a.csv',
    content: 'id,text\nx,one\nx,two\n',
    line: 3,
    says: /id: `x` is already the id of line 2/,
  },
  {
    name: 'default id taken by an explicit id',
    file: 'a.csv',
    content: 'id,text\n2,one\n,two\n',
    line: 3,
    says: /id: the default id `2` is already the id of line 2/,
  },
  {
    name: 'unknown voice',
    file: 'a.csv',
    content: 'text,voice_1\nhi,Bob\n',
    line: 2,
    says: /voice_1: unknown voice `Bob`/,
  },
  {
    name: 'voice in the wrong case',
    file: 'a.csv',
    content: 'text,voice_1\nhi,kore\n',
    line: 2,
    says: /did you mean `Kore`/,
  },
  {
    name: 'voice_2 equal to voice_1',
    file: 'a.csv',
    content: 'text,voice_1,voice_2\n"A: hi\nB: hey",Puck,Puck\n',
    line: 2,
    says: /voice_2: `Puck` is also voice_1/,
  },
  {
    name: 'temperature above 2',
    file: 'a.csv',
    content: 'text,temperature\nhi,2.5\n',
    line: 2,
    says: /temperature: .*`2\.5`/,
  },
  {
    name: 'temperature not a number',
    file: 'a.csv',
    content: 'text,temperature\nhi,warm\n',
    line: 2,
    says: /temperature: .*`warm`/,
  },
  {
    name: 'unknown model',
    file: 'a.csv',
    content: 'text,model\nhi,gemini-9\n',
    line: 2,
    says: /model: unknown model `gemini-9`/,
  },
  {
    name: 'too many fields',
    file: 'a.csv',
    content: 'id,text\n1,hello, world\n',
    line: 2,
    says: /row: 3 fields, but the header has 2/,
  },
  {
    name: 'unclosed quote',
    file: 'a.csv',
    content: 'id,text\n1,ok\n2,"never closed\n3,x\n',
    line: 3,
    says: /csv: a quoted field .* never closed/,
  },
  {
    name: 'quote inside an unquoted field',
    file: 'a.csv',
    content: 'id,text\n1,ok\n2,he said "hi"\n',
    line: 3,
    says: /csv: a quote inside an unquoted field/,
  },
  {
    name: 'text after a closing quote',
    file: 'a.csv',
    content: 'id,text\n1,"ok"x\n',
    line: 2,
    says: /csv: characters after a closing quote/,
  },
  {
    name: 'Latin-1 byte',
    file: 'a.csv',
    content: latin1,
    line: 3,
    says: /encoding: not valid UTF-8 \(bytes 0xE9\)/,
  },
  {
    name: 'bad byte past the first read chunk',
    file: 'a.csv',
    content: bigWithBadByte,
    line: 20_002,
    says: /encoding: not valid UTF-8/,
  },
  { name: 'NUL byte', file: 'a.csv', content: 'id,text\n1,a\u0000b\n', line: 2, says: /encoding: NUL byte/ },
  {
    name: 'UTF-16 file',
    file: 'a.csv',
    content: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('id,text\n1,hi\n', 'utf16le')]),
    line: 1,
    says: /encoding: the file is UTF-16/,
  },
  { name: 'empty file', file: 'a.csv', content: '', line: 1, says: /file: the script is empty/ },
  {
    name: 'blank lines only',
    file: 'a.csv',
    content: '\n\r\n\n',
    line: 1,
    says: /file: the script is empty/,
  },
  {
    name: 'header without rows',
    file: 'a.csv',
    content: 'id,text\r\n',
    line: 2,
    says: /file: the script has a header but no rows/,
  },
  {
    name: 'duplicate header',
    file: 'a.csv',
    content: 'id,text,text\n1,a,b\n',
    line: 1,
    says: /header: column `text` appears twice/,
  },
  {
    name: 'empty header name',
    file: 'a.csv',
    content: 'id,text,\n1,a,b\n',
    line: 1,
    says: /header: column 3 has no name/,
  },
  {
    name: 'line numbers after a quoted CRLF newline',
    file: 'a.csv',
    content: 'id,text\r\n1,"two\r\nlines"\r\n\r\n2,\r\n',
    line: 5,
    says: /text: is empty/,
  },
  {
    name: 'JSONL: invalid JSON',
    file: 'a.jsonl',
    content: '{"text":"ok"}\n{"text": nope}\n',
    line: 2,
    says: /json: not valid JSON/,
  },
  {
    name: 'JSONL: an array',
    file: 'a.jsonl',
    content: '\n\n[1,2]\n',
    line: 3,
    says: /json: expected one JSON object per line, got an array/,
  },
  { name: 'JSONL: a string', file: 'a.ndjson', content: '"hello"\n', line: 1, says: /json: .* got a string/ },
  {
    name: 'JSONL: nested metadata',
    file: 'a.jsonl',
    content: '{"text":"hi","tags":{"a":1}}\n',
    line: 1,
    says: /tags: metadata must be .* got a object/,
  },
  {
    name: 'JSONL: text as a number',
    file: 'a.jsonl',
    content: '{"text":42}\n',
    line: 1,
    says: /text: expected a string, got a number `42`/,
  },
  {
    name: 'JSONL: text as an array',
    file: 'a.jsonl',
    content: '{"text":["a"]}\n',
    line: 1,
    says: /text: expected a string, got an array/,
  },
  {
    name: 'JSONL: temperature as words',
    file: 'a.jsonl',
    content: '{"text":"hi","temperature":"warm"}\n',
    line: 1,
    says: /temperature: .*`warm`/,
  },
  { name: 'JSONL: missing text', file: 'a.jsonl', content: '{"id":"a"}\n', line: 1, says: /text: is empty/ },
  {
    name: 'JSONL: blank lines only',
    file: 'a.jsonl',
    content: '\n  \n\n',
    line: 1,
    says: /file: the script is empty/,
  },
];

for (const item of CASES) {
  test(`malformed script: ${item.name} -> exit 2, file:line named, nothing in Redis`, async () => {
    const sandbox = await makeSandbox(redis.url, uniquePrefix('bad'), item.env);
    try {
      await sandbox.write(item.file, item.content);
      const result = await sandbox.enqueue(item.file);
      assert.equal(result.code, 2, result.stderr);
      const expected = new RegExp(`^${item.file.replace('.', '\\.')}:${item.line}: `, 'm');
      assert.match(result.stderr, expected);
      assert.match(result.stderr, item.says);
      assert.match(result.stderr, /nothing was enqueued/);
      assert.equal(result.stdout, '');
      assert.deepEqual(await sandbox.keys(), []);
      const counts = await sandbox.queue().getJobCounts();
      assert.equal(
        Object.values(counts).reduce((sum, count) => sum + count, 0),
        0,
      );
    } finally {
      await sandbox.close();
    }
  });
}

test('every problem of a script is listed, capped at 100 with a count of the rest', async () => {
  const sandbox = await makeSandbox(redis.url, uniquePrefix('bad'));
  try {
    const rows = Array.from({ length: 150 }, (_, i) => `r${i},,Bob\n`).join('');
    await sandbox.write('many.csv', `id,text,voice_1\nok,fine,\n${rows}`);
    const result = await sandbox.enqueue('many.csv');
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^many\.csv:3: text: is empty/m);
    assert.match(result.stderr, /^many\.csv:3: voice_1: unknown voice `Bob`/m);
    assert.equal(result.stderr.match(/^many\.csv:\d+: /gm)?.length, 100);
    assert.match(result.stderr, /\.\.\. and 200 more problems/);
    assert.match(result.stderr, /150 of 151 rows are invalid; nothing was enqueued \(.*--skip-invalid/);
    assert.deepEqual(await sandbox.keys(), []);
  } finally {
    await sandbox.close();
  }
});

test('wrong extension, missing file, bad flags and bad run names: exit 2, nothing in Redis', async () => {
  const sandbox = await makeSandbox(redis.url, uniquePrefix('bad'));
  try {
    await sandbox.write('script.xml', 'id,text\n1,hi\n');
    await sandbox.write('ok.csv', 'id,text\n1,hi\n');
    const cases: [string[], RegExp][] = [
      [['script.xml'], /script\.xml: unknown script format `\.xml`/],
      [['missing.csv'], /missing\.csv: cannot read the script \(no such file\)/],
      [[], /Expected one script file, got 0/],
      [['ok.csv', 'other.csv'], /Expected one script file, got 2/],
      [['ok.csv', '--run', '../x'], /Expected `--run` to be .*, got `\.\.\/x`/],
      [['ok.csv', '--run', '.x'], /`--run`/],
      [['ok.csv', '--model', 'gpt'], /Expected `--model` .* got `gpt`/],
      [['ok.csv', '--voice', 'Bob'], /Expected `--voice` to be one of the Gemini voices/],
      [['ok.csv', '--voice2', 'kore'], /Expected `--voice2`/],
      [['ok.csv', '--temperature', '3'], /Expected `--temperature` to be a number in \[0, 2\], got `3`/],
      [['ok.csv', '--at', 'soon'], /Expected `--at` .* got `soon`/],
      [['ok.csv', '--at', '2001-01-01T00:00:00Z'], /it is in the past/],
      [['ok.csv', '--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const result = await sandbox.enqueue(...args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
    assert.deepEqual(await sandbox.keys(), []);
  } finally {
    await sandbox.close();
  }
});
