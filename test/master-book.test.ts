import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { after, test } from 'node:test';
import type { AcxReport } from '../src/master/acx-report.js';
import { bookDone, FFMPEG, markdownBook, runFinished } from './helpers/assembly.js';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { runCli } from './helpers/cli.js';
import { assertReportMatchesFfmpeg } from './helpers/ffmpeg-levels.js';
import { nightKit } from './helpers/night-kit.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});
const kit = nightKit(cleanups);
const skip = existsSync(FFMPEG) ? false : `no ffmpeg at ${FFMPEG}`;

test(
  'the demo book (3 Markdown chapters) enqueued with --master acx: every chapter mastered to master/*.mp3, acx-report.json and .csv pass on every file, and ffmpeg measures the same',
  { skip },
  async (t) => {
    const n = await kit.night();
    const env = { ...n.env, PATH: process.env['PATH'] ?? '' };
    const dir = join(n.target.outRoot, 'books');
    await mkdir(dir, { recursive: true });
    await copyFile('examples/demo-book.md', join(dir, 'fables.md'));
    const outDir = join(n.target.outRoot, 'fables');

    const enqueued = await runCli(['enqueue', 'fables.md', '--run', 'fables', '--master', 'acx'], env, dir);
    assert.equal(enqueued.code, 0, enqueued.stderr);
    assert.match(
      enqueued.stdout,
      /^master: acx \(each chapter also as master\/NN-<title>\.mp3, measured in acx-report\.json and \.csv\)$/m,
    );
    kit.worker(env);
    const doc = await bookDone(outDir);
    assert.equal(doc.chapters.length, 3);
    const masters = doc.chapters.map((chapter) => `master/${basename(chapter.file, '.wav')}.mp3`);

    const report = JSON.parse(await readFile(join(outDir, 'acx-report.json'), 'utf8')) as AcxReport;
    assert.equal(report.run, 'fables');
    assert.deepEqual(
      report.files.map((file) => [file.chapter, file.title, file.file, file.pass, file.failures]),
      doc.chapters.map((chapter, at) => [chapter.index, chapter.title, masters[at], true, []]),
    );
    assert.equal(report.pass, true);
    assert.deepEqual(
      (await readdir(join(outDir, 'master'))).sort(),
      masters.map((file) => basename(file)).sort(),
    );
    const csv = (await readFile(join(outDir, 'acx-report.csv'), 'utf8')).trimEnd().split('\r\n');
    assert.equal(csv.length, 4);
    for (const [at, line] of csv.slice(1).entries()) {
      assert.ok(line.startsWith(`${masters[at]},${at + 1},`), line);
      assert.match(line, /,[\d.]+,true,-?[\d.]+,true,/);
    }

    for (const [at, file] of report.files.entries()) {
      const chapter = doc.chapters[at];
      assert.ok(chapter);
      // The master holds the chapter with ACX's room tone around its sound.
      assert.ok(file.duration_s > chapter.duration_ms / 1000 - 1, `${file.file}: ${file.duration_s} s`);
      const ffmpeg = await assertReportMatchesFfmpeg(FFMPEG, join(outDir, file.file), file, (m) =>
        t.diagnostic(m),
      );
      const criteria = file.criteria;
      assert.ok(criteria);
      // TTS pauses are digital silence: ffmpeg's quietest window is -inf, the report's floor -150 dBFS.
      assert.equal(ffmpeg.quietestWindowDbfs, Number.NEGATIVE_INFINITY);
      assert.equal(criteria.noise_floor.value, -150);
    }

    const entries = await runFinished(outDir, doc.chapters.flatMap((chapter) => chapter.rows).length);
    assert.equal(assertBilledAtMostRecorded(n.sim.ledger(), entries), 0);
    const leftovers = (await readdir(join(outDir, 'master'), { recursive: true })).filter((name) =>
      name.startsWith('.'),
    );
    assert.deepEqual(leftovers, []);
  },
);

test('--master and TTS_MASTER take acx or none; anything else is refused before anything is enqueued', async () => {
  const n = await kit.night();
  const env = { ...n.env, PATH: process.env['PATH'] ?? '' };
  const dir = join(n.target.outRoot, 'books');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'tale.md'), markdownBook(1));
  const flag = await runCli(['enqueue', 'tale.md', '--run', 'tale', '--master', 'audible'], env, dir);
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /Expected `--master` to be one of acx or none, got `audible`/);
  const setting = await runCli(['enqueue', 'tale.md', '--run', 'tale'], { ...env, TTS_MASTER: 'loud' }, dir);
  assert.equal(setting.code, 2);
  assert.match(setting.stderr, /Expected `TTS_MASTER` to be one of acx or none, got `loud`/);
  assert.equal(existsSync(join(n.target.outRoot, 'tale')), false);
  // A CSV without --chapters: each clip is mastered (test/master-clips.test.ts), and enqueue says so.
  await writeFile(join(dir, 'lines.csv'), 'text\nHello there and welcome.\n');
  const csv = await runCli(['enqueue', 'lines.csv', '--run', 'lines', '--master', 'acx'], env, dir);
  assert.equal(csv.code, 0, csv.stderr);
  assert.match(
    csv.stdout,
    /^master: acx \(each clip also as master\/<id>\.mp3 when the run finishes, measured in acx-report\.json and \.csv\)$/m,
  );
  assert.doesNotMatch(csv.stderr, /nothing will be mastered/);
  const dry = await runCli(
    ['enqueue', 'tale.md', '--run', 'tale', '--dry-run'],
    { ...env, TTS_MASTER: 'acx' },
    dir,
  );
  assert.equal(dry.code, 0, dry.stderr);
});
