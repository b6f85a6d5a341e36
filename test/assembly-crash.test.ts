import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readChapterMarker } from '../src/assembly/assembly-state.js';
import {
  bookDone,
  checkAudiobook,
  completedAssemblyJobs,
  markdownBook,
  runFinished,
  tempFiles,
} from './helpers/assembly.js';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { runCli } from './helpers/cli.js';
import { nightKit } from './helpers/night-kit.js';
import { spawnWorker, until } from './helpers/processes.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});
const kit = nightKit(cleanups);

test('a worker SIGKILLed in the middle of assembling a chapter: another worker assembles the book, each version once, and no temporary file is left', async () => {
  const n = await kit.night();
  const env = { ...n.env, PATH: process.env['PATH'] ?? '', TTS_PAUSE_CHAPTER_MS: '1000' };
  const dir = join(n.target.outRoot, 'books');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'tale.md'), markdownBook(3));
  const outDir = join(n.target.outRoot, 'tale');
  const enqueued = await runCli(['enqueue', 'tale.md', '--run', 'tale'], env, dir);
  assert.equal(enqueued.code, 0, enqueued.stderr);

  // The victim makes the rows, then holds its first chapter with the join written and not yet renamed.
  const victim = spawnWorker({ ...env, TTS_ASSEMBLY_TEST_PAUSE_MS: '600000' });
  cleanups.push(() => victim.kill('SIGKILL'));
  const chapters = join(outDir, 'chapters');
  await until(
    async () => (await readdir(chapters).catch(() => [] as string[])).some((name) => name.endsWith('.tmp')),
    'a chapter half-written',
    6000,
  );
  await victim.kill('SIGKILL');
  assert.match(victim.output(), /assembly_started/);
  assert.equal(await readChapterMarker(outDir, 1).then((marker) => marker?.version), undefined);
  assert.deepEqual(
    (await readdir(chapters)).filter((name) => name.endsWith('.wav')),
    [],
    'no chapter is in place yet',
  );

  kit.worker(env);
  const doc = await bookDone(outDir);
  await checkAudiobook(outDir, 'tale', 1000);
  const jobs = await completedAssemblyJobs(n.redis.url, n.env['TTS_QUEUE_PREFIX'] ?? '');
  assert.equal(new Set(jobs.map((job) => job.id)).size, jobs.length);
  assert.deepEqual(
    jobs.map((job) => job.returnvalue as unknown),
    Array(4).fill('assembled'),
    'three chapters and the book, each completed once',
  );
  for (const chapter of doc.chapters) {
    const marker = await readChapterMarker(outDir, chapter.index);
    assert.ok(jobs.some((job) => job.id === `tale/chapter/${chapter.index}/${marker?.version.slice(0, 24)}`));
  }
  assert.deepEqual(await tempFiles(outDir, 'tale'), []);
  const entries = await runFinished(outDir, doc.chapters.flatMap((chapter) => chapter.rows).length);
  assert.equal(assertBilledAtMostRecorded(n.sim.ledger(), entries), 0);
});

test('a worker SIGKILLed with the m4b encoded but not yet in place: another worker makes the book once, and the leftover is swept', async () => {
  const n = await kit.night();
  const env = { ...n.env, PATH: process.env['PATH'] ?? '', TTS_PAUSE_CHAPTER_MS: '1000' };
  const dir = join(n.target.outRoot, 'books');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'tale.md'), markdownBook(2));
  const outDir = join(n.target.outRoot, 'tale');
  assert.equal((await runCli(['enqueue', 'tale.md', '--run', 'tale'], env, dir)).code, 0);

  // Each of the victim's jobs holds 1.5 s before putting its output in place: its chapters go
  // through, its book is caught with the encoded m4b under its temporary name.
  const victim = spawnWorker({ ...env, TTS_ASSEMBLY_TEST_PAUSE_MS: '1500' });
  cleanups.push(() => victim.kill('SIGKILL'));
  await until(
    async () => (await readdir(outDir).catch(() => [] as string[])).some((name) => name.endsWith('.part')),
    'the m4b encoded under its temporary name',
    6000,
  );
  await victim.kill('SIGKILL');
  assert.equal(existsSync(join(outDir, 'chapters.json')), false);

  kit.worker(env);
  const doc = await bookDone(outDir);
  await checkAudiobook(outDir, 'tale', 1000);
  const jobs = await completedAssemblyJobs(n.redis.url, n.env['TTS_QUEUE_PREFIX'] ?? '');
  assert.deepEqual(jobs.map((job) => [job.name, job.returnvalue as unknown]).sort(), [
    ['book', 'assembled'],
    ['chapter', 'assembled'],
    ['chapter', 'assembled'],
  ]);
  assert.deepEqual(await tempFiles(outDir, 'tale'), []);
  const entries = await runFinished(outDir, doc.chapters.flatMap((chapter) => chapter.rows).length);
  assert.equal(assertBilledAtMostRecorded(n.sim.ledger(), entries), 0);
});

test('Redis emptied after the book was made: enqueueing again adopts the rows and finds the chapters and the book current; nothing is paid for or assembled again', async () => {
  const n = await kit.night();
  const env = { ...n.env, PATH: process.env['PATH'] ?? '', TTS_PAUSE_CHAPTER_MS: '1000' };
  const dir = join(n.target.outRoot, 'books');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'tale.md'), markdownBook(2));
  const outDir = join(n.target.outRoot, 'tale');
  assert.equal((await runCli(['enqueue', 'tale.md', '--run', 'tale'], env, dir)).code, 0);
  kit.worker(env);
  const doc = await bookDone(outDir);
  const bookFile = await stat(join(outDir, 'chapters.json'));
  const submits = n.sim.ledger().submits.length;

  await n.client.flushall();
  const again = await runCli(['enqueue', 'tale.md', '--run', 'tale'], env, dir);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /adopted 6\n/);
  const prefix = n.env['TTS_QUEUE_PREFIX'] ?? '';
  let jobs: Awaited<ReturnType<typeof completedAssemblyJobs>> = [];
  await until(
    async () => (jobs = await completedAssemblyJobs(n.redis.url, prefix)).some((job) => job.name === 'book'),
    'the book job',
  );
  assert.deepEqual(
    jobs.map((job) => job.returnvalue as unknown),
    Array(3).fill('current'),
  );
  assert.equal(n.sim.ledger().submits.length, submits, 'no row paid for again');
  assert.equal((await stat(join(outDir, 'chapters.json'))).mtimeMs, bookFile.mtimeMs);
  assert.equal((await bookDone(outDir)).version, doc.version);
  const status = await runCli(['status', '--run', 'tale'], env, dir);
  assert.match(status.stdout, /chapters: 2 of 2 assembled {2}audiobook: tale\.m4b/);
});
