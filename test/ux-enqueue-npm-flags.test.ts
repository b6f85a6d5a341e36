import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { npmEatenFlags } from '../src/cli/npm-eaten-flags.js';
import { npmCommand } from '../src/cli/npm-hint.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';

// `npm run enqueue FILE --dry-run` (no `--`): npm keeps the flag for itself. These run the real
// npm script, as a user types it, in this checkout.
const ROOT = join(import.meta.dirname, '..');

let redis: PrivateRedis;
let client: Redis;
let dir: string;
let script: string;
before(async () => {
  redis = await startPrivateRedis();
  client = new Redis(redis.url);
  dir = await mkdtemp(join(tmpdir(), 'tts-npm-flags-'));
  script = join(dir, 'chapter.csv');
  await writeFile(script, 'id,text\na,Hello there.\nb,General Kenobi.\n');
});
after(async () => {
  client.disconnect();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

async function npmRun(args: readonly string[], prefix: string) {
  const { npm_config_dry_run: _ignored, ...env } = process.env;
  const child = spawn('npm', ['run', ...args], {
    cwd: ROOT,
    env: {
      ...env,
      REDIS_URL: redis.url,
      TTS_QUEUE_PREFIX: prefix,
      TTS_OUT_DIR: join(dir, 'out'),
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

const keysOf = (prefix: string) => client.keys(`${prefix}*`);

test('npm run enqueue FILE --dry-run (no --) is a dry run: nothing is added', async () => {
  const prefix = uniquePrefix('npmdry');
  const result = await npmRun(['enqueue', script, '--dry-run'], prefix);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /dry run: nothing added/);
  assert.match(result.stderr, /npm kept `--dry-run` for itself/);
  assert.deepEqual(await keysOf(prefix), []);
});

test('npm run enqueue FILE --run NAME (no --) is refused with the -- form; nothing is added', async () => {
  const prefix = uniquePrefix('npmrun');
  const result = await npmRun(['enqueue', script, '--run', 'book', '--at', '02:00'], prefix);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /npm kept `--run`, `--at` for itself/);
  assert.match(result.stderr, /npm run enqueue -- <arguments> --run <value> --at <value>/);
  assert.deepEqual(await keysOf(prefix), []);
});

test('npm run enqueue FILE --run=NAME (no --) names the run as asked', async () => {
  const prefix = uniquePrefix('npmeq');
  const result = await npmRun(['enqueue', script, '--run=book'], prefix);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^run: book$/m);
  assert.match(result.stdout, /rows: new 2,/);
});

test('the -- form passes flags on untouched, with no note', async () => {
  const prefix = uniquePrefix('npmdash');
  const result = await npmRun(['enqueue', '--', script, '--dry-run', '--run', 'book'], prefix);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^run: book \(dry run: nothing added\)$/m);
  assert.doesNotMatch(result.stderr, /npm kept/);
  assert.deepEqual(await keysOf(prefix), []);
});

test('npm-kept flags: read only under this package npm scripts; booleans and --flag=value honoured', () => {
  const options = {
    run: { type: 'string' },
    metadata: { type: 'string', multiple: true },
    'dry-run': { type: 'boolean' },
    'skip-invalid': { type: 'boolean' },
  } as const;
  const npm = { npm_lifecycle_event: 'enqueue', npm_lifecycle_script: 'node bin/tts-batch.js enqueue' };
  assert.equal(npmEatenFlags(options, { npm_config_dry_run: 'true' }), undefined, 'not under npm');
  assert.equal(
    npmEatenFlags(options, { ...npm, npm_lifecycle_script: 'node --test x', npm_config_dry_run: 'true' }),
    undefined,
    'another script (npm test) sets nothing',
  );
  assert.deepEqual(
    npmEatenFlags(options, {
      ...npm,
      npm_config_dry_run: 'true',
      npm_config_skip_invalid: 'false',
      npm_config_metadata: 'voice1',
      npm_config_run: 'book',
    }),
    { honoured: { 'dry-run': true, metadata: ['voice1'], run: 'book' }, refused: [], script: 'enqueue' },
  );
  const worker = {
    npm_lifecycle_event: 'worker',
    npm_lifecycle_script: 'node --import tsx workers/worker.ts',
  };
  assert.deepEqual(
    npmEatenFlags({ concurrency: { type: 'string' } }, { ...worker, npm_config_concurrency: 'true' }),
    {
      honoured: {},
      refused: ['concurrency'],
      script: 'worker',
    },
  );
});

test('hints name the npm form, with -- before the first flag', () => {
  assert.equal(npmCommand('resume'), 'npm run resume');
  assert.equal(npmCommand('enqueue', ['a.csv', '--skip-invalid']), 'npm run enqueue -- a.csv --skip-invalid');
  assert.equal(npmCommand('retry', ['--run', 'book']), 'npm run retry -- --run book');
});
