import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { locateFfmpeg } from '../src/audio/ffmpeg-locate.js';
import { checkM4b } from '../src/audio/m4b-check.js';
import { FALLBACK_FILES, fallbackCommand, writeFallbackFiles } from '../src/audio/m4b-fallback.js';
import { readBackM4b } from '../src/audio/m4b-read-back.js';
import { TINY_PNG, writeToneWav } from './helpers/audio-wavs.js';

const run = promisify(execFile);
const dir = await mkdtemp(join(tmpdir(), 'audio-m4b-fallback-'));
after(() => rm(dir, { recursive: true, force: true }));

describe('fallbackCommand', () => {
  it('leaves the ffmetadata, a concat list and a gap WAV, and its printed command, run as written, makes the same checked m4b', async () => {
    const chapters = join(dir, 'chapters');
    await run('mkdir', ['-p', chapters]);
    const lengths = [24_000 + 7, 36_011, 24_000 * 2 - 3];
    const titles = ["Chapter 1: Tom's Day", 'Chapter 2 = two; #2', 'Chapter 3'];
    const input = {
      chapters: await Promise.all(
        lengths.map(async (samples, index) => ({
          title: titles[index]!,
          file: await writeToneWav(join(chapters, `${String(index + 1).padStart(3, '0')} it's.wav`), samples),
        })),
      ),
      gapMs: 1000,
      out: join(dir, 'the book.m4b'),
      tags: { title: "Tom's Book", author: 'An Author', cover: join(dir, 'cover.png') },
    };
    await writeFile(input.tags.cover, TINY_PNG);

    const fallback = await fallbackCommand(input);
    await writeFallbackFiles(fallback);
    assert.deepEqual(
      (await readdir(chapters)).sort(),
      [
        "001 it's.wav",
        "002 it's.wav",
        "003 it's.wav",
        FALLBACK_FILES.concat,
        FALLBACK_FILES.metadata,
        FALLBACK_FILES.gap,
      ].sort(),
    );
    assert.equal(
      await readFile(join(chapters, FALLBACK_FILES.concat), 'utf8'),
      [
        'ffconcat version 1.0',
        "file '001 it'\\''s.wav'",
        "file 'gap.wav'",
        "file '002 it'\\''s.wav'",
        "file 'gap.wav'",
        "file '003 it'\\''s.wav'",
        '',
      ].join('\n'),
    );
    assert.match(
      fallback.commandLine,
      /^ffmpeg .*-f concat -safe 0 -i .*chapters\.concat\.txt.* -f ipod .*'.*the book\.m4b'$/,
    );

    // Whoever finishes the job has ffmpeg on their PATH under that name.
    const found = await locateFfmpeg({ configuredPath: undefined, searchPath: process.env['PATH'] });
    assert.ok(found, 'this test needs ffmpeg');
    const bin = await mkdtemp(join(dir, 'bin-'));
    await symlink(found.path, join(bin, 'ffmpeg'));
    await run('sh', ['-c', fallback.commandLine], { env: { PATH: `${bin}:/usr/bin:/bin` } });

    const read = await readBackM4b(found.path, input.out);
    assert.deepEqual(checkM4b(fallback.plan, read, { ...input.tags, cover: true }), []);
    assert.deepEqual(
      fallback.plan.marks.map((mark) => mark.startSample),
      [0, lengths[0]! + 24_000, lengths[0]! + lengths[1]! + 48_000],
    );
  });
});
