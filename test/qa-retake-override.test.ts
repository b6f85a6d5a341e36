import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { sha256Hex } from '../src/enqueue/content-hash.js';
import { runKeys } from '../src/queue/keys.js';
import { startSimulator } from '../src/simulator/server.js';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { runCli } from './helpers/cli.js';
import { NIGHT_API_KEY, startNight, type Night } from './helpers/night.js';
import { finishedManifest, until } from './helpers/processes.js';
import { startTestWorker } from './helpers/worker.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

type Entry = Record<string, unknown>;

const rowsOf = (label: string) =>
  [0, 1, 2].map((i) => ({
    id: `t${i}`,
    text: `${label} number ${i}, a line the producer wants in another voice.`,
  }));

async function writeScript(n: Night, rows: readonly { id: string; text: string }[]): Promise<string> {
  const dir = join(n.target.outRoot, 'scripts');
  await mkdir(dir, { recursive: true });
  const script = join(dir, 'takes.jsonl');
  await writeFile(script, rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
  return script;
}

const entryOf = (entries: readonly Entry[] | undefined, id: string) =>
  entries?.find((entry) => entry['id'] === id);

/** The run's manifests once they hold `id` with `submits` submits. */
async function manifestWith(n: Night, id: string, submits: number, what: string): Promise<Entry[]> {
  let entries: Entry[] | undefined;
  await until(() => {
    entries = finishedManifest(n.outDir, 3);
    return entryOf(entries, id)?.['submits'] === submits;
  }, what);
  return entries ?? [];
}

test('retake --voice --temperature: the new take is made and recorded with them; an unchanged script keeps them, an edited row drops them', async () => {
  const n = await startNight();
  cleanups.push(() => n.close());
  const rows = rowsOf('Take');
  const script = await writeScript(n, rows);
  assert.equal((await runCli(['enqueue', script, '--run', 'night'], n.env)).code, 0);
  const { rowWorker } = startTestWorker({ env: n.env });
  cleanups.push(() => rowWorker.stop());
  await until(() => finishedManifest(n.outDir, 3) !== undefined, 'the run to finish');
  const overrides = runKeys(n.env['TTS_QUEUE_PREFIX'] ?? '', 'night').overrides;

  // Refused before anything changes: exit 2, nothing billed, no override written.
  const billedBefore = n.sim.ledger().submits.length;
  for (const [flags, message] of [
    [['--voice', 'Nobody'], /Expected `--voice` to be one of the Gemini voices .*got `Nobody`/],
    [['--voice', 'puck'], /did you mean `Puck`\?/],
    [['--temperature', '2.5'], /Expected `--temperature` to be a number in \[0, 2\], got `2.5`/],
    [['--temperature', 'warm'], /got `warm`/],
  ] as const) {
    const refused = await runCli(['retake', '--run', 'night', '--id', 't1', ...flags], n.env);
    assert.equal(refused.code, 2, `${flags.join(' ')}: ${refused.stderr}`);
    assert.match(refused.stderr, message);
  }
  assert.equal(n.sim.ledger().submits.length, billedBefore);
  assert.equal(await n.client.hlen(overrides), 0);
  const unchangedStatus = JSON.parse(
    (await runCli(['status', '--run', 'night', '--json'], n.env)).stdout,
  ) as unknown;
  assert.match(JSON.stringify(unchangedStatus), /"finished":true/);

  const lines = (await n.lines()).length;
  const asked = await runCli(
    ['retake', '--run', 'night', '--id', 't1', '--voice', 'Puck', '--temperature', '1.1'],
    n.env,
  );
  assert.equal(asked.code, 0, asked.stderr);
  assert.match(asked.stdout, /night\/t1: a new take is queued .*voice_1 Puck, temperature 1\.1/);
  await until(async () => (await n.lines()).length === lines + 1, 'the new take to be recorded');
  let entries = await manifestWith(n, 't1', 2, 'the manifests rewritten with the new take');

  const text = sha256Hex(rows[1]?.text ?? '');
  const billed = n.sim.ledger().submits.filter((submit) => submit.text_sha256 === text);
  assert.equal(billed.length, 2, 'the new take was billed once');
  assert.equal(billed[0]?.voice_1, 'Kore');
  assert.equal(billed[0]?.temperature, 0.4);
  assert.equal(billed[1]?.voice_1, 'Puck', 'the new take was asked in the new voice');
  assert.equal(billed[1]?.temperature, 1.1);
  const t1 = entryOf(entries, 't1');
  assert.equal(t1?.['status'], 'completed');
  assert.equal(t1?.['request_id'], billed[1]?.request_id, "the row's audio is the new take's");
  assert.equal(t1?.['voice_1'], 'Puck');
  assert.equal(t1?.['temperature'], 1.1);
  assert.deepEqual(t1?.['override'], { voice_1: 'Puck', temperature: 1.1 });
  assert.equal(t1?.['text_sha256'], text);
  assert.deepEqual(t1?.['resubmit_reasons'], ['retake']);
  assert.equal((t1?.['qa'] as { status: string }).status, 'pass', "the new version's first take passed");
  assert.deepEqual(await readdir(join(n.outDir, '.takes')).catch(() => []), [], 'the old take removed');
  for (const id of ['t0', 't2']) {
    assert.equal(entryOf(entries, id)?.['voice_1'], 'Kore');
    assert.equal(entryOf(entries, id)?.['override'], undefined);
  }
  assert.equal(assertBilledAtMostRecorded(n.sim.ledger(), entries), 0);

  // The unchanged script again: the row is skipped, nothing billed, still Puck.
  const again = await runCli(['enqueue', script, '--run', 'night'], n.env);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /rows: new 0, unchanged 0, skipped 3/);
  assert.equal(await n.client.hlen(overrides), 1, 'the override kept');
  const report = await runCli(['report', '--run', 'night'], n.env);
  assert.equal(report.code, 0, report.stderr);
  entries = finishedManifest(n.outDir, 3) ?? [];
  assert.equal(entryOf(entries, 't1')?.['voice_1'], 'Puck');
  assert.equal(entryOf(entries, 't1')?.['request_id'], billed[1]?.request_id);
  assert.equal(n.sim.ledger().submits.length, billedBefore + 1, 'nothing billed by the re-enqueue');

  // The row edited in the script: the script wins, its voice and temperature, the override gone.
  const edited = rows.map((row) =>
    row.id === 't1' ? { ...row, text: `${row.text} Now with a new ending.` } : row,
  );
  await writeScript(n, edited);
  const third = await runCli(['enqueue', script, '--run', 'night'], n.env);
  assert.equal(third.code, 0, third.stderr);
  assert.match(third.stdout, /rows: new 1, unchanged 0, skipped 2/);
  assert.equal(await n.client.hlen(overrides), 0, 'the override dropped');
  const editedText = sha256Hex(edited[1]?.text ?? '');
  entries = [];
  await until(() => {
    entries = finishedManifest(n.outDir, 3) ?? [];
    return entryOf(entries, 't1')?.['text_sha256'] === editedText;
  }, 'the edited row to be made');
  await rowWorker.stop();
  const remade = n.sim.ledger().submits.filter((submit) => submit.text_sha256 === editedText);
  assert.equal(remade.length, 1);
  assert.equal(remade[0]?.voice_1, 'Kore');
  assert.equal(remade[0]?.temperature, 0.4);
  assert.equal(entryOf(entries, 't1')?.['voice_1'], 'Kore');
  assert.equal(entryOf(entries, 't1')?.['temperature'], 0.4);
  assert.equal(entryOf(entries, 't1')?.['override'], undefined);
  assert.equal(assertBilledAtMostRecorded(n.sim.ledger(), entries, 'current'), 0);
});

test('retake --voice: the new take replaces the old one even when it fails its checks (QA re-takes in the same voice, then kept for review); the old take is removed', async () => {
  const n = await startNight({ env: { TTS_QA_RETAKES: '1' } });
  cleanups.push(() => n.close());
  // The same API, its audio now always cut short: the takes asked after the first run fail their checks.
  const defective = await startSimulator({
    port: 0,
    latencyScale: 0.02,
    seed: 7,
    apiKey: NIGHT_API_KEY,
    defectRate: 1,
    defects: ['truncated'],
  });
  cleanups.push(() => defective.close());
  const rows = rowsOf('Clip');
  const script = await writeScript(n, rows);
  assert.equal((await runCli(['enqueue', script, '--run', 'night'], n.env)).code, 0);
  const first = startTestWorker({ env: n.env }).rowWorker;
  cleanups.push(() => first.stop());
  const before = await (async () => {
    let entries: Entry[] | undefined;
    await until(() => (entries = finishedManifest(n.outDir, 3)) !== undefined, 'the run to finish');
    return entries ?? [];
  })();
  await first.stop();
  assert.equal((entryOf(before, 't1')?.['qa'] as { status: string }).status, 'pass');

  const asked = await runCli(['retake', '--run', 'night', '--id', 't1', '--voice', 'Puck'], n.env);
  assert.equal(asked.code, 0, asked.stderr);
  const second = startTestWorker({ env: { ...n.env, SEGMIND_BASE_URL: defective.url } }).rowWorker;
  cleanups.push(() => second.stop());
  const entries = await manifestWith(n, 't1', 3, 'the new version kept for review');
  await second.stop();

  const retakes = defective.ledger().submits;
  assert.equal(retakes.length, 2, 'the retake and one QA re-take');
  assert.deepEqual(
    retakes.map((submit) => submit.voice_1),
    ['Puck', 'Puck'],
  );
  const t1 = entryOf(entries, 't1');
  assert.equal(t1?.['voice_1'], 'Puck');
  assert.deepEqual(t1?.['override'], { voice_1: 'Puck' });
  const qa = t1?.['qa'] as { status: string; takes: number };
  assert.equal(qa.status, 'needs_review', 'kept over the old passing take, for review');
  assert.equal(qa.takes, 2, "the new version's takes");
  assert.ok(
    retakes.some((submit) => submit.request_id === t1?.['request_id']),
    "the row's audio is a take in the new voice",
  );
  const reasons = t1?.['resubmit_reasons'] as string[];
  assert.equal(reasons[0], 'retake');
  assert.match(reasons[1] ?? '', /^qa:/);
  assert.ok(existsSync(join(n.outDir, 't1.wav')));
  const aside = await readdir(join(n.outDir, '.takes')).catch((): string[] => []);
  assert.ok(!aside.includes('t1.take1.wav'), `the old version's take removed (${aside.join(', ')})`);
  const ledger = { ...n.sim.ledger(), submits: [...n.sim.ledger().submits, ...retakes] };
  assert.equal(assertBilledAtMostRecorded(ledger, entries), 0);
});
