import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { readBackM4b } from '../src/audio/m4b-read-back.js';
import { bookDone, FFMPEG, runFinished, tempFiles } from './helpers/assembly.js';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { runCli } from './helpers/cli.js';
import { nightKit } from './helpers/night-kit.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});
const kit = nightKit(cleanups);

const CSV = [
  'id,text,chapter',
  'welcome,"Welcome to the course, and thank you for joining us today.",',
  'l1-a,"Lesson one starts with the basics of breathing while you speak.",Breathing',
  'l2-a,"Lesson two is about pace: slow down at the end of each sentence.",Pace',
  'l2-b,"Practise with a metronome until the pace feels natural to you.",',
  'l1-b,"Breathe in through the nose before every long sentence.",Breathing',
].join('\n');

test('a CSV course with --chapters: lessons grouped by their chapter column; without ffmpeg the chapters, chapters.json, an ffmetadata file and the exact command, which makes the m4b as written', async () => {
  const n = await kit.night();
  // TTS_FFMPEG=none: this machine's ffmpeg (and the npm package's) are not used by the worker.
  const env = { ...n.env, PATH: process.env['PATH'] ?? '', TTS_FFMPEG: 'none', TTS_PAUSE_CHAPTER_MS: '800' };
  const dir = join(n.target.outRoot, 'scripts');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'course.csv'), `${CSV}\n`);
  const outDir = join(n.target.outRoot, 'course');

  const plain = await runCli(['enqueue', 'course.csv', '--run', 'plain'], env, dir);
  assert.equal(plain.code, 0, plain.stderr);
  const enqueued = await runCli(['enqueue', 'course.csv', '--run', 'course', '--chapters'], env, dir);
  assert.equal(enqueued.code, 0, enqueued.stderr);
  kit.worker(env);
  const doc = await bookDone(outDir);
  assert.deepEqual(
    doc.chapters.map((chapter) => [chapter.title, chapter.file, chapter.rows]),
    [
      ['Chapter 1', 'chapters/01-chapter.wav', ['welcome']],
      ['Breathing', 'chapters/02-breathing.wav', ['l1-a', 'l1-b']],
      ['Pace', 'chapters/03-pace.wav', ['l2-a', 'l2-b']],
    ],
  );
  assert.equal(doc.m4b, null);
  assert.ok(doc.ffmpeg_command?.startsWith('ffmpeg '), doc.ffmpeg_command ?? 'no command');
  assert.equal(
    (await readFile(join(outDir, 'course.m4b.sh'), 'utf8')).trim(),
    `#!/bin/sh\n${doc.ffmpeg_command}`,
  );
  assert.ok(existsSync(join(outDir, 'chapters', 'chapters.ffmetadata')));
  assert.ok(existsSync(join(outDir, 'course.srt')) && existsSync(join(outDir, 'course.vtt')));
  assert.equal(existsSync(join(outDir, 'course.m4b')), false);
  assert.deepEqual(await tempFiles(outDir, 'course'), []);
  const plainDone = await runFinished(join(n.target.outRoot, 'plain'), 5);
  assert.equal(
    existsSync(join(n.target.outRoot, 'plain', 'chapters.json')),
    false,
    'no --chapters, no chapters',
  );

  const status = await runCli(['status', '--run', 'course', '--json'], env, dir);
  const { runs } = JSON.parse(status.stdout) as {
    runs: { chapters?: { bookAssembled: boolean; chapters: { assembled: boolean }[] } }[];
  };
  const progress = runs[0];
  assert.equal(progress?.chapters?.bookAssembled, true);
  assert.deepEqual(
    progress.chapters.chapters.map((chapter) => chapter.assembled),
    [true, true, true],
  );

  // The command, run as written where ffmpeg is, makes the m4b with the marks chapters.json has.
  await promisify(execFile)('sh', [join(outDir, 'course.m4b.sh')], { cwd: outDir });
  const read = await readBackM4b(FFMPEG, join(outDir, 'course.m4b'));
  assert.deepEqual(
    read.chapters.map((mark) => mark.title),
    doc.chapters.map((chapter) => chapter.title),
  );
  read.chapters.forEach((mark, at) => {
    const chapter = doc.chapters[at];
    assert.ok(chapter && Math.abs(mark.startMs - chapter.start_ms) <= 1, `mark ${at}`);
  });

  const entries = await runFinished(outDir, 5);
  assert.equal(assertBilledAtMostRecorded(n.sim.ledger(), [...entries, ...plainDone]), 0);
});
