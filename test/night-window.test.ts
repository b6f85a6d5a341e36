import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseWindow, windowState } from '../src/queue/run-window.js';
import { loadSettings } from '../src/settings.js';
import { makeRowWorker } from '../src/worker/make-worker.js';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { runCli } from './helpers/cli.js';
import { startNight, type Night } from './helpers/night.js';
import { finishedManifest, until } from './helpers/processes.js';
import { captureLogger } from './helpers/worker.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/** Today at hh:mm, local time. */
const at = (hours: number, minutes = 0) => {
  const now = new Date();
  return new Date(now.getFullYear(), now.getMonth(), now.getDate(), hours, minutes).getTime();
};
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('windows: across midnight, open and closed, and the next change in local time', () => {
  const night = parseWindow('22:00-7:00');
  assert.equal(night?.text, '22:00-07:00');
  if (!night) return;
  assert.deepEqual(windowState(night, at(23)), { open: true, changesAt: at(7) + 24 * 3600_000 });
  assert.deepEqual(windowState(night, at(6, 59)), { open: true, changesAt: at(7) });
  assert.deepEqual(windowState(night, at(7)), { open: false, changesAt: at(22) });
  assert.deepEqual(windowState(night, at(12)), { open: false, changesAt: at(22) });
  const day = parseWindow('09:30-17:00');
  if (!day) return;
  assert.equal(windowState(day, at(9, 29)).open, false);
  assert.equal(windowState(day, at(9, 30)).open, true);
  assert.equal(parseWindow('none'), undefined);
  for (const bad of ['22-07', '25:00-07:00', '22:00-22:00', '22:60-07:00'])
    assert.throws(() => parseWindow(bad), /--window/);
});

async function writeRows(n: Night, from: number, count: number): Promise<string> {
  const dir = join(n.target.outRoot, 'scripts');
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'window.jsonl');
  const rows = Array.from({ length: from + count }, (_, i) => ({
    id: `w${i}`,
    text: `Night line number ${i}.`,
  }));
  await writeFile(path, rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
  return path;
}

test('a run window holds rows while closed, releases them when it opens, and a window that closes and reopens does it again', async () => {
  const n = await startNight({
    env: { TTS_HOLD_RECHECK_MS: '200' },
    sim: { latencyScale: 1, fixedLatencyS: 0.4 },
  });
  cleanups.push(() => n.close());
  let clock = at(12); // noon: outside 22:00-07:00
  const worker = makeRowWorker({
    settings: loadSettings(n.env),
    logger: captureLogger([]),
    lockDurationMs: 5000,
    concurrency: 2,
    windowClock: () => clock,
  });
  cleanups.push(() => worker.stop());

  const script = await writeRows(n, 0, 6);
  const dry = await runCli(
    ['enqueue', script, '--run', 'night', '--window', '22:00-07:00', '--dry-run'],
    n.env,
  );
  assert.match(dry.stdout, /window: 22:00-07:00 \(local time\): (open until|closed; rows start at) /);
  assert.equal(
    (await runCli(['enqueue', script, '--run', 'night', '--window', '22:00-07:00'], n.env)).code,
    0,
  );
  // Held rows wait as delayed jobs, tried again every TTS_HOLD_RECHECK_MS.
  await until(async () => (await n.queue().getDelayedCount()) > 0, 'a row held by the window');
  await pause(1500);
  assert.equal(n.sim.ledger().submits.length, 0, 'nothing submitted while the window is closed');
  const status = (await runCli(['status', '--run', 'night'], n.env)).stdout;
  assert.match(status, /window: 22:00-07:00 \(local time\)/);

  clock = at(23); // the window opens
  await until(() => n.sim.ledger().submits.length >= 2, 'rows to start inside the window');
  clock = at(8); // it closes with rows in flight: they finish, no new one starts
  const started = n.sim.ledger().submits.length;
  await until(async () => (await n.lines()).length >= started, 'the rows in flight to finish');
  await pause(1500);
  assert.ok(
    n.sim.ledger().submits.length <= started + 2,
    'at most the submits already past the check when it closed',
  );
  const held = n.sim.ledger().submits.length;
  assert.ok(held < 6, `rows still held (${held} of 6 billed)`);

  clock = at(22, 30); // it reopens
  let entries: Record<string, unknown>[] | undefined;
  await until(() => (entries = finishedManifest(n.outDir, 6)) !== undefined, 'the run to finish');
  assert.ok((entries ?? []).every((entry) => entry['status'] === 'completed'));
  assert.equal(n.sim.ledger().submits.length, 6);
  assert.equal(assertBilledAtMostRecorded(n.sim.ledger(), entries ?? []), 0);
});
