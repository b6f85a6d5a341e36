import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { startSimulator, type RunningSimulator } from '../src/simulator/server.js';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { runCli } from './helpers/cli.js';
import { enqueueRowsOk } from './helpers/enqueue-rows.js';
import { finishedManifest, until } from './helpers/processes.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';
import { startTestWorker } from './helpers/worker.js';

// `status --watch` in a real terminal: tmux (a Debian package; .ci/run installs it) runs the
// command on a 120x30 screen, the test reads the screen back with capture-pane.

const run = promisify(execFile);
const ROWS = 40;
const GOOD_KEY = 'SG_watch-test-good';

let redis: PrivateRedis;
let sim: RunningSimulator;
let outRoot: string;
const socket = uniquePrefix('tmux');
const session = 'watch';
before(async () => {
  await run('tmux', ['-V']).catch((error: unknown) => {
    throw new Error('this test needs tmux on the PATH (Debian: apt-get install tmux; .ci/run installs it)', {
      cause: error,
    });
  });
  redis = await startPrivateRedis();
  sim = await startSimulator({ port: 0, latencyScale: 0.02, seed: 12, apiKey: GOOD_KEY });
  outRoot = await mkdtemp(join(tmpdir(), 'tts-watch-'));
});
after(async () => {
  const path = await run('tmux', ['-L', socket, 'display-message', '-p', '#{socket_path}']).catch(
    () => undefined,
  );
  await run('tmux', ['-L', socket, 'kill-server']).catch(() => undefined);
  if (path) await rm(path.stdout.trim(), { force: true });
  await sim.close();
  await redis.stop();
  await rm(outRoot, { recursive: true, force: true });
});

const tmux = (...args: string[]) => run('tmux', ['-L', socket, ...args]);
const screen = async () => (await tmux('capture-pane', '-p', '-t', session)).stdout;
/** The live bar: the last line of the screen that has the run's counts. */
const barLine = (text: string) =>
  text
    .split('\n')
    .filter((line) => /\| failed \d+ \|/.test(line))
    .at(-1) ?? '';
/** What the bar's ETA says: a duration (`8m54s`, `1h02m`, `42s`), `--` or `done`, never raw seconds. */
const FORMATTED_ETA = /\| ETA (\d+h\d\dm|\d+m\d\ds|\d+s|--|done) \|/;

async function screenShows(pattern: RegExp, what: string, inBar = true): Promise<string> {
  let last = '';
  const shows = async () => {
    last = await screen();
    return pattern.test(inBar ? barLine(last) : last);
  };
  await until(shows, what, 1200, 100).catch((error: unknown) => {
    throw new Error(`${String(error)}; the screen was:\n${last}`);
  });
  return last;
}

test('status --watch in a terminal: the bar, a formatted ETA, PAUSED and HALTED while they hold', async () => {
  const prefix = uniquePrefix('w');
  const env = {
    REDIS_URL: redis.url,
    TTS_QUEUE_PREFIX: prefix,
    TTS_OUT_DIR: outRoot,
    SEGMIND_BASE_URL: sim.url,
    SEGMIND_API_KEY: GOOD_KEY,
    // Slow enough to watch: about 1 call a second for the whole fleet, 2 or 3 calls a row.
    SEGMIND_RPM: '60',
    TTS_SHUTDOWN_GRACE_MS: '200',
  };
  const rows = Array.from({ length: ROWS }, (_, i) => ({ id: `r${i}`, text: `Line ${i}, read slowly.` }));
  await enqueueRowsOk({ env, run: 'night', outRoot, scriptPath: join(outRoot, 'night.jsonl') }, rows);

  const settings = Object.entries({ REDIS_URL: redis.url, TTS_QUEUE_PREFIX: prefix })
    .map(([name, value]) => `${name}='${value}'`)
    .join(' ');
  await tmux(
    'new-session',
    '-d',
    '-s',
    session,
    '-x',
    '120',
    '-y',
    '30',
    '-c',
    process.cwd(),
    'bash --norc --noprofile',
  );
  await tmux(
    'send-keys',
    '-t',
    session,
    `${settings} node bin/tts-batch.js status --run night --watch`,
    'Enter',
  );

  // Nothing done yet: the bar, and an ETA that says it does not know (cli-progress printed `INF`).
  let shown = await screenShows(/\b0\/40 /, 'the bar');
  assert.match(barLine(shown), FORMATTED_ETA);
  assert.match(barLine(shown), /0\/40 done \| failed 0 \|/);
  assert.match(barLine(shown), /\| ETA -- \|/);

  // Paused by the real command: said above the bar, and in the bar while it holds.
  const pause = await runCli(['pause'], env);
  assert.equal(pause.code, 0);
  assert.match(pause.stdout, /until `npm run resume`/, 'the hint a user of the checkout can type');
  shown = await screenShows(/^PAUSED \| .*\| ETA -- \|/, 'PAUSED in the bar');
  assert.match(shown, /queue PAUSED: workers take no new rows until `npm run resume`/);

  // A worker, then resume: rows move and the ETA becomes a formatted duration.
  const good = startTestWorker({ env, concurrency: 4 });
  assert.equal((await runCli(['resume'], env)).code, 0);
  shown = await screenShows(/\| ETA (\d+h\d\dm|\d+m\d\ds|\d+s) \|/, 'a formatted ETA while rows move');
  assert.doesNotMatch(barLine(shown), /^PAUSED/);
  assert.match(shown, /queue resumed at /);
  assert.match(barLine(shown), /\| \d+\.\d rows\/min \|/);

  // Paused again with rows left: no countdown, the ETA waits with the rows.
  assert.equal((await runCli(['pause'], env)).code, 0);
  await screenShows(/^PAUSED \| .*\| ETA -- \|/, 'PAUSED again, no ETA countdown');
  await good.rowWorker.stop(); // the rows in flight finish or go back: some redraws later, ...
  shown = await screen();
  assert.match(barLine(shown), /^PAUSED \| .*\| ETA -- \|/, 'still no ETA while paused');

  // A worker whose key the API refuses: 401, the fleet halts, the bar says so with the reason above.
  const refused = startTestWorker({ env: { ...env, SEGMIND_API_KEY: 'SG_watch-test-revoked' } });
  assert.equal((await runCli(['resume'], env)).code, 0);
  shown = await screenShows(/^HALTED \| .*\| ETA -- \|/, 'HALTED in the bar');
  assert.match(shown, /HALTED at \S+: .*401/);
  assert.match(shown, /fix the cause, then run `npm run resume`/);
  await refused.rowWorker.stop();

  // The run finishes with the right key (and no rate limit): the bar ends at done, the detail follows.
  const last = startTestWorker({ env: { ...env, SEGMIND_RPM: '100000' }, concurrency: 8 });
  assert.equal((await runCli(['resume'], env)).code, 0);
  shown = await screenShows(/^run: night \(finished\)$/m, 'the finished run', false);
  assert.match(shown, /40\/40 done \| failed 0 \| .*\| ETA done \|/);
  await until(() => finishedManifest(join(outRoot, 'night'), ROWS) !== undefined, 'the final manifest');
  await last.rowWorker.stop();

  const entries = JSON.parse(await readFile(join(outRoot, 'night', 'manifest.json'), 'utf8')) as Record<
    string,
    unknown
  >[];
  assertBilledAtMostRecorded(sim.ledger(), entries);
});
