import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Job } from 'bullmq';
import type { RowJobData } from '../src/queue/row-job.js';
import { editDistance, nearMissOf } from '../src/script/column-names.js';
import { makeSandbox, type Sandbox } from './fixtures/scripts/enqueue-harness.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';

// A misspelled column (voice1, Voice_1, temprature) used to become metadata silently: every row
// got the default voice and --dry-run exited 0.
let redis: PrivateRedis;
let sandbox: Sandbox;
before(async () => {
  redis = await startPrivateRedis();
});
after(async () => {
  await redis.stop();
});

async function withSandbox(body: (box: Sandbox) => Promise<void>): Promise<void> {
  sandbox = await makeSandbox(redis.url, uniquePrefix('cols'));
  try {
    await body(sandbox);
  } finally {
    await sandbox.close();
  }
}

test('near misses of a field are found; other names are metadata', () => {
  const cases: Record<string, string | undefined> = {
    voice1: 'voice_1',
    Voice_1: 'voice_1',
    'voice-2': 'voice_2',
    'VOICE 2': 'voice_2',
    voice: 'voice_1',
    temprature: 'temperature',
    Temperature: 'temperature',
    temp: 'temperature',
    modle: 'model',
    Model: 'model',
    ID: 'id',
    Text: 'text',
    tex: 'text',
    chapter: undefined,
    title: undefined,
    speaker: undefined,
    notes: undefined,
    style: undefined,
    scene: undefined,
    page: undefined,
    draft: undefined,
    mood: undefined,
    text: undefined,
    voice_1: undefined,
  };
  for (const [column, field] of Object.entries(cases)) assert.equal(nearMissOf(column), field, column);
  assert.equal(editDistance('modle', 'model'), 1);
  assert.equal(editDistance('temprature', 'temperature'), 1);
  assert.equal(editDistance('', 'abc'), 3);
});

for (const [column, field] of [
  ['voice1', 'voice_1'],
  ['Voice_1', 'voice_1'],
  ['temprature', 'temperature'],
] as const) {
  test(`a \`${column}\` column is refused with "did you mean ${field}?", in --dry-run too; nothing is enqueued`, async () => {
    await withSandbox(async (box) => {
      const value = field === 'temperature' ? '0.9' : 'Puck';
      await box.write('s.csv', `id,text,${column},chapter\na,Hello there.,${value},1\nb,Hi.,${value},1\n`);
      for (const args of [['s.csv', '--dry-run'], ['s.csv']]) {
        const result = await box.enqueue(...args);
        assert.equal(result.code, 2, `${args.join(' ')}: ${result.stdout}`);
        assert.match(
          result.stderr,
          new RegExp(
            `s\\.csv:1: ${column}: unknown column \`${column}\`; did you mean \`${field}\`\\? \\(if it is metadata, pass --metadata ${column}\\)`,
          ),
        );
        assert.match(result.stderr, /1 column looks like a misspelled field; nothing was enqueued/);
      }
      assert.deepEqual(await box.keys(), []);
    });
  });
}

test('--skip-invalid does not skip a misspelled column; a JSONL key is named at its line', async () => {
  await withSandbox(async (box) => {
    await box.write(
      's.jsonl',
      '{"id":"a","text":"Hi."}\n{"id":"b","text":"Yo."}\n{"id":"c","text":"Hey.","modle":"gemini-2.5-flash-tts"}\n',
    );
    const result = await box.enqueue('s.jsonl', '--skip-invalid');
    assert.equal(result.code, 2);
    assert.match(result.stderr, /s\.jsonl:3: modle: unknown column `modle`; did you mean `model`\?/);
    assert.deepEqual(await box.keys(), []);
  });
});

test('--metadata COL carries a near-miss column as metadata; enqueue and --dry-run list the metadata columns', async () => {
  await withSandbox(async (box) => {
    await box.write('s.csv', 'id,text,voice1,chapter,title\na,Hello there.,x,1,Intro\n');
    const dry = await box.enqueue('s.csv', '--dry-run', '--metadata', 'voice1');
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^metadata: voice1, chapter, title \(carried to the manifest\)$/m);
    const real = await box.enqueue('s.csv', '--metadata=voice1,unused');
    assert.equal(real.code, 0, real.stderr);
    assert.match(real.stdout, /^metadata: voice1, chapter, title \(carried to the manifest\)$/m);
    assert.match(real.stderr, /warning: --metadata names `unused`, which no row of s\.csv has/);
    const [job] = (await box.queue().getJobs(['waiting'])) as Job<RowJobData>[];
    assert.deepEqual(job?.data.meta, { voice1: 'x', chapter: '1', title: 'Intro' });
    assert.equal(job?.data.request.voice_1, 'Kore');
  });
});

test('a script with only fields says it has no metadata; --metadata with a field name is refused', async () => {
  await withSandbox(async (box) => {
    await box.write('s.csv', 'id,text,voice_1\na,Hello there.,Puck\n');
    const dry = await box.enqueue('s.csv', '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^metadata: none \(every column is a field\)$/m);
    const bad = await box.enqueue('s.csv', '--metadata', 'voice_1');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Expected `--metadata` to name columns that are not fields .*, got `voice_1`/);
  });
});
