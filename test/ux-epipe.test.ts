import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { enqueueRowsOk } from './helpers/enqueue-rows.js';
import { until } from './helpers/processes.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';

let redis: PrivateRedis;
let outRoot: string;
let env: Record<string, string>;
before(async () => {
  redis = await startPrivateRedis();
  outRoot = await mkdtemp(join(tmpdir(), 'tts-epipe-'));
  env = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '',
    REDIS_URL: redis.url,
    TTS_QUEUE_PREFIX: uniquePrefix('pipe'),
    TTS_OUT_DIR: outRoot,
  };
  // Runs to print: status and report write a line each (and more for pending rows).
  for (const run of ['alpha', 'beta', 'gamma']) {
    const rows = Array.from({ length: 30 }, (_, i) => ({ id: `${run}-${i}`, text: `Line ${i} of ${run}.` }));
    await enqueueRowsOk({ env, run, outRoot, scriptPath: join(outRoot, `${run}.jsonl`) }, rows);
  }
});
after(async () => {
  await redis.stop();
  await rm(outRoot, { recursive: true, force: true });
});

type Exit = { readonly code: number | null; readonly stderr: string };

/** `tts-batch <args>` as its own process whose stdout pipe is closed by the reader before it writes. */
async function withClosedStdout(args: readonly string[]): Promise<Exit> {
  const child = spawn(process.execPath, ['bin/tts-batch.js', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The reader goes away at once (as `head` does once it has its lines): every write meets EPIPE.
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  try {
    await until(
      () => child.exitCode !== null || child.signalCode !== null,
      `tts-batch ${args.join(' ')} to exit`,
    );
  } finally {
    child.kill('SIGKILL');
  }
  return { code: child.exitCode, stderr };
}

/** `tts-batch <args> | <reader>` through bash: the command's own exit status and stderr. */
async function piped(args: readonly string[], reader: string): Promise<Exit> {
  const command = `node bin/tts-batch.js ${args.join(' ')} | ${reader} >/dev/null; exit "\${PIPESTATUS[0]}"`;
  const child = spawn('bash', ['-c', command], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  await until(() => child.exitCode !== null, `${command} to exit`);
  return { code: child.exitCode, stderr };
}

const quiet = (exit: Exit, code: number, what: string) => {
  assert.doesNotMatch(exit.stderr, /EPIPE|Unhandled|Error|\n\s+at /, `${what}: no stack on a closed pipe`);
  assert.equal(exit.code, code, `${what}: exit ${exit.code}, stderr: ${exit.stderr}`);
};

test('status and report whose reader has gone end quietly with their own exit status', async () => {
  quiet(await withClosedStdout(['status']), 0, 'status');
  quiet(await withClosedStdout(['status', '--run', 'alpha']), 0, 'status --run');
  quiet(await withClosedStdout(['status', '--json']), 0, 'status --json');
  quiet(await withClosedStdout(['report']), 0, 'report');
  quiet(await piped(['report'], 'true'), 0, 'report | true');
  quiet(await piped(['status'], 'true'), 0, 'status | true');
  quiet(await piped(['status'], 'head -1'), 0, 'status | head -1');
  quiet(await piped(['report', '--run', 'beta'], 'head -1'), 0, 'report --run beta | head -1');
});

test('status --watch stops watching when its reader goes away (the run goes on)', async () => {
  // No worker: the run never finishes, so only the closed pipe can end the watch.
  quiet(await withClosedStdout(['status', '--run', 'gamma', '--watch']), 0, 'status --watch');
  quiet(await piped(['status', '--watch'], 'head -1'), 0, 'status --watch (every run) | head -1');
});

test("a closed pipe keeps a command's own failure status: an unknown run is still exit 2", async () => {
  const exit = await piped(['status', '--run', 'nosuch'], 'head -1');
  assert.equal(exit.code, 2, exit.stderr);
  assert.match(exit.stderr, /no run named `nosuch`/);
  assert.doesNotMatch(exit.stderr, /EPIPE|\n\s+at /);
});
