import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import type { AcxReport } from '../src/master/acx-report.js';
import { completedAssemblyJobs, FFMPEG } from './helpers/assembly.js';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { runCli, type CliOutcome } from './helpers/cli.js';
import { assertReportMatchesFfmpeg } from './helpers/ffmpeg-levels.js';
import type { Night } from './helpers/night.js';
import { nightKit } from './helpers/night-kit.js';
import { spawnWorker, until } from './helpers/processes.js';
import { startTestWorker } from './helpers/worker.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});
const kit = nightKit(cleanups);
const skip = existsSync(FFMPEG) ? false : `no ffmpeg at ${FFMPEG}`;

type Row = { id: string; text: string };
const ROWS: Row[] = [
  { id: 'r1', text: 'Yes.' },
  { id: 'r2', text: 'Welcome back to the show, everyone, it is good to have you here tonight.' },
  { id: 'r3', text: 'The storm rolled in over the hills before anyone had time to close the shutters.' },
  { id: 'r4', text: 'She counted the lanterns twice, then a third time, and still one was missing.' },
  { id: 'r5', text: 'Nobody spoke.' },
  {
    id: 'r6',
    text: 'By morning the river had risen to the second step of the mill, and the miller sat on the roof.',
  },
];
const jsonl = (rows: readonly Row[]) => rows.map((row) => JSON.stringify(row)).join('\n') + '\n';

/** Writes `rows` as the run's script (again: the same file) and enqueues it with --master acx, as a user would. */
async function enqueueMastered(
  n: Night,
  env: Record<string, string>,
  rows: readonly Row[],
): Promise<CliOutcome> {
  const script = join(n.target.outRoot, 'scripts', 'lines.jsonl');
  await mkdir(dirname(script), { recursive: true });
  await writeFile(script, jsonl(rows));
  return runCli(['enqueue', script, '--run', 'night', '--master', 'acx'], env);
}

async function readReport(outDir: string): Promise<AcxReport | undefined> {
  try {
    return JSON.parse(await readFile(join(outDir, 'acx-report.json'), 'utf8')) as AcxReport;
  } catch {
    return undefined;
  }
}

/** Waits for an acx-report.json whose files are exactly `ids`' masters, other than `not` (a report read before). */
async function reportFor(outDir: string, ids: readonly string[], not?: string): Promise<AcxReport> {
  let report: AcxReport | undefined;
  await until(
    async () => {
      const text = await readFile(join(outDir, 'acx-report.json'), 'utf8').catch(() => undefined);
      if (text === undefined || text === not) return false;
      report = JSON.parse(text) as AcxReport;
      return report.files.map((file) => file.row).join() === ids.join();
    },
    `acx-report.json of ${ids.join(', ')}`,
  );
  assert.ok(report);
  return report;
}

async function mtimes(dir: string): Promise<Map<string, number>> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.mp3'));
  return new Map(
    await Promise.all(names.map(async (name) => [name, (await stat(join(dir, name))).mtimeMs] as const)),
  );
}

const sha256 = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

test(
  'a 6-row JSONL script with --master acx: each clip mastered to master/<id>.mp3, the report passes and ffmpeg agrees; a retake, an edited row and a removed row re-master only what changed',
  { skip },
  async (t) => {
    const n = await kit.night();
    const env = { ...n.env, PATH: process.env['PATH'] ?? '' };
    const outDir = n.outDir;
    const masterDir = join(outDir, 'master');

    const enqueued = await enqueueMastered(n, env, ROWS);
    assert.equal(enqueued.code, 0, enqueued.stderr);
    assert.match(
      enqueued.stdout,
      /^master: acx \(each clip also as master\/<id>\.mp3 when the run finishes, measured in acx-report\.json and \.csv\)$/m,
    );
    assert.doesNotMatch(enqueued.stderr, /nothing will be mastered|no ffmpeg/);
    kit.worker(env);
    const entries = await kit.finished(n, 6);
    const ids = ROWS.map((row) => row.id);
    const report = await reportFor(outDir, ids);

    assert.equal(report.run, 'night');
    assert.equal(report.pass, true, JSON.stringify(report.files.map((file) => file.failures)));
    assert.deepEqual(
      report.files.map((file) => [file.file, file.row, file.chapter, file.pass, file.failures]),
      ids.map((id) => [`master/${id}.mp3`, id, null, true, []]),
    );
    assert.deepEqual((await readdir(masterDir)).sort(), ids.map((id) => `${id}.mp3`).sort());
    const csv = (await readFile(join(outDir, 'acx-report.csv'), 'utf8')).trimEnd().split('\r\n');
    assert.equal(csv.length, 7);
    assert.match(csv[0] ?? '', /^file,chapter,title,duration_s,pass,rms,rms_pass,.*,failures,row$/);
    for (const [at, line] of csv.slice(1).entries()) {
      assert.ok(line.startsWith(`master/${ids[at]}.mp3,,,`), line);
      assert.ok(line.endsWith(`,${ids[at]}`), line);
      assert.match(line, /,[\d.]+,true,-?[\d.]+,true,/);
    }

    for (const file of report.files) {
      await assertReportMatchesFfmpeg(FFMPEG, join(outDir, file.file), file, (m) => t.diagnostic(m));
    }
    // Mastering only reads the clips: each is still the audio its manifest entry records.
    for (const entry of entries) {
      assert.equal(await sha256(join(outDir, String(entry['file']))), entry['audio_sha256']);
    }
    assert.equal(assertBilledAtMostRecorded(n.sim.ledger(), entries), 0);

    // A retake of r3 (a counted submit): the simulator's take is the same audio, so its master,
    // keyed by the audio's SHA-256, is not made again, and nothing else is.
    const before = await mtimes(masterDir);
    const r3Sha = entries.find((entry) => entry['id'] === 'r3')?.['audio_sha256'];
    const retake = await runCli(['retake', '--run', 'night', '--id', 'r3'], env);
    assert.equal(retake.code, 0, retake.stderr);
    let retakeEntries: Record<string, unknown>[] = [];
    await until(async () => {
      retakeEntries = await kit.finished(n, 6);
      return retakeEntries.find((entry) => entry['id'] === 'r3')?.['submits'] === 2;
    }, 'the retake recorded');
    assert.equal(retakeEntries.find((entry) => entry['id'] === 'r3')?.['audio_sha256'], r3Sha);
    const clipJobs = (await completedAssemblyJobs(n.redis.url, n.env['TTS_QUEUE_PREFIX'] ?? '')).filter(
      (job) => job.name === 'clips',
    );
    assert.equal(clipJobs.length, 1, 'the same clips make the same version: its job is not added again');
    const afterRetake = await mtimes(masterDir);
    assert.deepEqual(afterRetake, before);

    // r4 edited, r5 removed: r4 mastered again, r5's master gone, the others untouched.
    const edited = ROWS.filter((row) => row.id !== 'r5').map((row) =>
      row.id === 'r4' ? { ...row, text: 'She counted the lanterns once, and all of them were there.' } : row,
    );
    const reportText2 = await readFile(join(outDir, 'acx-report.json'), 'utf8');
    const again = await enqueueMastered(n, env, edited);
    assert.equal(again.code, 0, again.stderr);
    const editedIds = edited.map((row) => row.id);
    const editedReport = await reportFor(outDir, editedIds, reportText2);
    assert.equal(editedReport.pass, true);
    const afterEdit = await mtimes(masterDir);
    assert.deepEqual([...afterEdit.keys()].sort(), editedIds.map((id) => `${id}.mp3`).sort());
    assert.deepEqual(
      [...afterEdit].filter(([name, mtime]) => afterRetake.get(name) !== mtime).map(([name]) => name),
      ['r4.mp3'],
    );
    // Every billed text recorded: the removed r5's in the manifest before the edit, r4's new one after it.
    const finalEntries = await kit.finished(n, 5);
    const recorded = [...retakeEntries, ...finalEntries.filter((entry) => entry['id'] === 'r4')];
    assert.equal(assertBilledAtMostRecorded(n.sim.ledger(), recorded), 0);
    const leftovers = (await readdir(masterDir)).filter((name) => name.startsWith('.'));
    assert.deepEqual(leftovers, []);
  },
);

test(
  'without ffmpeg (TTS_FFMPEG=none): a warning at enqueue and in the worker log, no masters; enqueued again where ffmpeg is found, the clips are mastered',
  { skip },
  async () => {
    const n = await kit.night();
    const env = { ...n.env, PATH: process.env['PATH'] ?? '', TTS_FFMPEG: 'none' };
    const enqueued = await enqueueMastered(n, env, ROWS.slice(0, 2));
    assert.equal(enqueued.code, 0, enqueued.stderr);
    assert.match(enqueued.stderr, /^warning: --master acx: no ffmpeg found here .*masters nothing/m);
    const logLines: string[] = [];
    const { rowWorker } = startTestWorker({ env, logLines });
    cleanups.push(() => rowWorker.stop());
    const entries = await kit.finished(n, 2);
    await until(
      () => logLines.some((line) => line.includes('"event":"master_needs_ffmpeg"')),
      'the worker to say it masters nothing',
    );
    await rowWorker.stop();
    assert.equal(existsSync(join(n.outDir, 'master')), false);
    assert.equal(await readReport(n.outDir), undefined);

    // ffmpeg found again: enqueueing the same script again runs the clips job that failed for want of it.
    const withFfmpeg = { ...n.env, PATH: process.env['PATH'] ?? '' };
    const again = await enqueueMastered(n, withFfmpeg, ROWS.slice(0, 2));
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /no ffmpeg/);
    kit.worker(withFfmpeg);
    const report = await reportFor(n.outDir, ['r1', 'r2']);
    assert.equal(report.pass, true);
    assert.equal(assertBilledAtMostRecorded(n.sim.ledger(), entries), 0);
    assert.equal(n.sim.ledger().submits.length, 2, 'nothing paid for again');
  },
);

test(
  'a worker SIGKILLed in the middle of mastering the clips: another worker takes the job again, keeps the masters already in place, sweeps the temporary file, and the report covers every clip',
  { skip },
  async () => {
    const n = await kit.night();
    const env = { ...n.env, PATH: process.env['PATH'] ?? '' };
    const rows = ROWS.slice(1, 5);
    const enqueued = await enqueueMastered(n, env, rows);
    assert.equal(enqueued.code, 0, enqueued.stderr);
    const masterDir = join(n.outDir, 'master');

    // Each of the victim's clips is held 1.5 s mastered under its temporary name, before its rename.
    const victim = spawnWorker({ ...env, TTS_ASSEMBLY_TEST_PAUSE_MS: '1500' });
    cleanups.push(() => victim.kill('SIGKILL'));
    await until(async () => {
      const names = await readdir(masterDir).catch(() => [] as string[]);
      return names.some((name) => name.endsWith('.mp3')) && names.some((name) => name.endsWith('.tmp'));
    }, 'a clip mastered in place and the next one under its temporary name');
    await victim.kill('SIGKILL');
    assert.match(victim.output(), /"kind":"clips"/);
    assert.equal(await readReport(n.outDir), undefined);
    const placed = await mtimes(masterDir);
    assert.ok(placed.size >= 1 && placed.size < rows.length, `${placed.size} masters in place`);

    kit.worker(env);
    const ids = rows.map((row) => row.id);
    const report = await reportFor(n.outDir, ids);
    assert.equal(report.pass, true, JSON.stringify(report.files.map((file) => file.failures)));
    const after = await mtimes(masterDir);
    assert.deepEqual([...after.keys()].sort(), ids.map((id) => `${id}.mp3`).sort());
    for (const [name, mtime] of placed)
      assert.equal(after.get(name), mtime, `${name} kept, not mastered again`);
    assert.deepEqual(
      (await readdir(masterDir)).filter((name) => name.startsWith('.')),
      [],
      "the killed worker's temporary file swept",
    );
    const jobs = await completedAssemblyJobs(n.redis.url, n.env['TTS_QUEUE_PREFIX'] ?? '');
    assert.deepEqual(
      jobs.map((job) => [job.name, job.returnvalue as unknown]),
      [['clips', 'assembled']],
    );
    const entries = await kit.finished(n, rows.length);
    assert.equal(assertBilledAtMostRecorded(n.sim.ledger(), entries), 0);
  },
);

test(
  'a clip deleted while its run is being mastered: the attempt fails naming the file, nothing is put in place for it; enqueued again, the clip is remade and the run finishing again masters it',
  { skip },
  async () => {
    const n = await kit.night();
    const env = { ...n.env, PATH: process.env['PATH'] ?? '' };
    const rows = ROWS.slice(1, 3);
    assert.equal((await enqueueMastered(n, env, rows)).code, 0);
    const masterDir = join(n.outDir, 'master');

    // Each clip's master is held 3 s under its temporary name: r3's clip is deleted meanwhile.
    const logLines: string[] = [];
    const { rowWorker } = startTestWorker({ env: { ...env, TTS_ASSEMBLY_TEST_PAUSE_MS: '3000' }, logLines });
    cleanups.push(() => rowWorker.stop());
    await until(
      async () =>
        (await readdir(masterDir).catch(() => [] as string[])).some((name) => name.endsWith('.tmp')),
      'the first clip mastered under its temporary name',
    );
    await rm(join(n.outDir, 'r3.wav'));
    await until(
      () => logLines.some((line) => line.includes('assembly_attempt_failed') && line.includes('r3.wav')),
      'the attempt to fail on the deleted clip',
    );
    assert.equal(await readReport(n.outDir), undefined);
    assert.deepEqual(await readdir(masterDir), ['r2.mp3']);

    const again = await enqueueMastered(n, env, rows);
    assert.equal(again.code, 0, again.stderr);
    const report = await reportFor(n.outDir, ['r2', 'r3']);
    assert.equal(report.pass, true, JSON.stringify(report.files.map((file) => file.failures)));
    assert.deepEqual((await readdir(masterDir)).sort(), ['r2.mp3', 'r3.mp3']);
    const entries = await kit.finished(n, 2);
    assert.equal(assertBilledAtMostRecorded(n.sim.ledger(), entries), 0);
  },
);
