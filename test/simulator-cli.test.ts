import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { CliContext } from '../src/cli/context.js';
import { main } from '../src/cli/main.js';
import { freePort } from './helpers/redis.js';

// `tts-batch simulator`, in-process through the CLI entry and as its own process.

function capture(stream: PassThrough): () => string {
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return () => text;
}

function context(signal = new AbortController().signal) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const cli: CliContext = { stdout, stderr, env: {}, cwd: process.cwd(), signal };
  return { cli, stdout: capture(stdout), stderr: capture(stderr) };
}

async function until<T>(probe: () => T | undefined, what: string): Promise<T> {
  for (let attempt = 0; attempt < 400; attempt += 1) {
    const value = probe();
    if (value !== undefined) return value;
    await delay(10);
  }
  throw new Error(`gave up waiting for ${what}`);
}

test('--help lists every option with its default', async () => {
  const { cli, stdout } = context();
  assert.equal(await main(['simulator', '--help'], cli), 0);
  const help = stdout();
  for (const flag of [
    '--port',
    '--seed',
    '--latency-scale',
    '--latency-sigma',
    '--latency-fixed',
    '--rate-429',
    '--rate-5xx',
    '--rate-reset',
    '--reset-phase',
    '--rate-failed',
    '--rpm',
    '--rpm-counts',
    '--retention',
    '--credits',
    '--api-key',
    '--audio',
    '--output',
    '--validation',
    '--strict-voices',
    '--result-while-pending',
  ]) {
    assert.match(help, new RegExp(`^  ${flag}\\b.*`, 'm'), flag);
  }
  assert.match(help, /default 4010/);
});

test('bad option values exit 2 with a message naming the option and the value', async () => {
  const cases: [string[], string][] = [
    [['--rate-429', '2'], 'Expected `--rate-429` to be a probability in [0, 1], got `2`'],
    [['--port', 'eighty'], 'Expected `--port` to be an integer in [0, 65535], got `eighty`'],
    [['--audio', 'ogg'], 'Expected `--audio` to be one of wav, pcm, mp3, got `ogg`'],
    [['--rpm', '0'], 'Expected `--rpm` to be an integer >= 1, got `0`'],
    [['--latency-scale=-1'], 'Expected `--latency-scale` to be a finite number >= 0, got `-1`'],
    [['--reset-phase', 'during'], 'Expected `--reset-phase` to be one of before, after, got `during`'],
    [['--nonsense'], "Unknown option '--nonsense'"],
  ];
  for (const [args, message] of cases) {
    const { cli, stderr } = context();
    assert.equal(await main(['simulator', ...args], cli), 2, args.join(' '));
    assert.ok(stderr().includes(message), stderr());
  }
});

test('serves until the signal aborts, then closes and exits 0', async () => {
  const controller = new AbortController();
  const { cli, stdout } = context(controller.signal);
  const exit = main(['simulator', '--port', '0', '--latency-fixed', '0', '--api-key', 'k'], cli);
  const url = await until(() => /listening on (http:\/\/\S+)/.exec(stdout())?.[1], 'the URL line');
  const refused = await fetch(`${url}/v2/gemini-3.1-flash-tts`, {
    method: 'POST',
    headers: { 'x-api-key': 'wrong', 'content-type': 'application/json' },
    body: '{"text":"hi"}',
  });
  assert.equal(refused.status, 401, 'options reach the server');
  controller.abort();
  assert.equal(await exit, 0);
  await assert.rejects(fetch(`${url}/_sim/ledger`), 'closed');
});

test('runs as its own process: bin/tts-batch.js simulator, stopped by SIGTERM', async () => {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['bin/tts-batch.js', 'simulator', '--port', String(port), '--seed', '3'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  try {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await until(() => (output.includes(`http://127.0.0.1:${port}`) ? true : undefined), 'the URL line');
    const ledger = await fetch(`http://127.0.0.1:${port}/_sim/ledger`);
    assert.equal(ledger.status, 200);
    assert.deepEqual(((await ledger.json()) as { submits: unknown[] }).submits, []);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    assert.deepEqual(await exited, [0, null]);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});
