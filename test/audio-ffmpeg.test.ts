import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ConfigError } from '../src/errors.js';
import { escapeFfmetadata, formatFfmetadata } from '../src/audio/ffmetadata.js';
import { decodeToPcm } from '../src/audio/ffmpeg-decode.js';
import { locateFfmpeg, npmPackagedFfmpeg } from '../src/audio/ffmpeg-locate.js';
import { FfmpegFailed, fileArg, runFfmpeg } from '../src/audio/ffmpeg-process.js';
import { encodeM4b } from '../src/audio/m4b-encode.js';
import { parseFfmetadata } from '../src/audio/m4b-read-back.js';
import { loadSettings } from '../src/settings.js';
import { writeToneWav } from './helpers/audio-wavs.js';

const run = promisify(execFile);
const dir = await mkdtemp(join(tmpdir(), 'audio-ffmpeg-'));
let ffmpeg = '';

before(async () => {
  const found = await locateFfmpeg({ configuredPath: undefined, searchPath: process.env['PATH'] });
  assert.ok(found, 'these tests need ffmpeg (CI installs Debian’s)');
  ffmpeg = found.path;
});
after(() => rm(dir, { recursive: true, force: true }));

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('locateFfmpeg', () => {
  it('takes TTS_FFMPEG first, and refuses one that does not run, naming the variable', async () => {
    assert.equal(
      loadSettings({ TTS_FFMPEG: ' /opt/ffmpeg/bin/ffmpeg ' }).ffmpegPath,
      '/opt/ffmpeg/bin/ffmpeg',
    );
    const found = await locateFfmpeg({ configuredPath: ffmpeg, searchPath: '' });
    assert.equal(found?.source, 'TTS_FFMPEG');
    assert.match(found?.version ?? '', /\S/);
    const notFfmpeg = join(dir, 'not-ffmpeg.sh');
    await writeFile(notFfmpeg, '#!/bin/sh\necho hello\n');
    await chmod(notFfmpeg, 0o755);
    for (const bad of [join(dir, 'missing'), notFfmpeg]) {
      await assert.rejects(
        locateFfmpeg({ configuredPath: bad, searchPath: process.env['PATH'] }),
        (error: unknown) =>
          error instanceof ConfigError && error.variable === 'TTS_FFMPEG' && error.message.includes(bad),
      );
    }
  });

  it('then ffmpeg on the search path, then the npm package, else nothing', async () => {
    const bin = await mkdtemp(join(dir, 'bin-'));
    await symlink(ffmpeg, join(bin, 'ffmpeg'));
    const onPath = await locateFfmpeg({ configuredPath: undefined, searchPath: `/nonexistent:${bin}` });
    assert.deepEqual([onPath?.source, onPath?.path], ['PATH', join(bin, 'ffmpeg')]);
    const none = await locateFfmpeg({
      configuredPath: undefined,
      searchPath: '/nonexistent',
      packagedPath: () => undefined,
    });
    assert.equal(none, undefined);
    const packaged = await locateFfmpeg({
      configuredPath: undefined,
      searchPath: '',
      packagedPath: () => ffmpeg,
    });
    assert.equal(packaged?.source, 'npm');
  });

  it('finds the binary the optional npm dependency ships, and it writes a checked m4b', async () => {
    if (process.platform !== 'linux' || process.arch !== 'x64') return; // the package exists for others; this machine's is linux-x64
    const packaged = await locateFfmpeg({ configuredPath: undefined, searchPath: '' });
    assert.equal(packaged?.source, 'npm');
    assert.equal(packaged.path, npmPackagedFfmpeg());
    const sub = await mkdtemp(join(dir, 'npm-'));
    const chapters = [
      { title: 'A', file: await writeToneWav(join(sub, 'a.wav'), 24_000 + 11) },
      { title: 'B', file: await writeToneWav(join(sub, 'b.wav'), 12_345) },
    ];
    const result = await encodeM4b(
      { chapters, gapMs: 500, out: join(sub, 'npm.m4b'), tags: { title: 'T' } },
      packaged.path,
    );
    assert.equal(result.marks[1]?.startSample, 24_000 + 11 + 12_000);
  });
});

describe('decodeToPcm', () => {
  it('streams an MP3 as s16le mono 24 kHz', async () => {
    const mp3 = join(dir, 'clip.mp3');
    await runFfmpeg(ffmpeg, [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'sine=f=440:r=44100:d=2',
      '-ac',
      '2',
      '-c:a',
      'libmp3lame',
      '-y',
      mp3,
    ]);
    const pcm = await collect(decodeToPcm(ffmpeg, mp3));
    const samples = pcm.length / 2;
    assert.equal(pcm.length % 2, 0);
    // MP3 frames are 1152 samples at 44.1 kHz (627 at 24 kHz): its length is 2 s give or take a frame or two.
    assert.ok(Math.abs(samples - 48_000) <= 2 * 627, `${samples} samples`);
  });

  it('reads a file whose name ffmpeg would take for a protocol (chapter:1.mp3)', async () => {
    assert.equal(fileArg('chapter:1.mp3'), 'file:chapter:1.mp3');
    assert.equal(fileArg('/tmp/a:b/chapter:1.mp3'), '/tmp/a:b/chapter:1.mp3');
    const sub = await mkdtemp(join(dir, 'colon-'));
    await writeToneWav(join(sub, 'chapter:1.wav'), 2400);
    const cwd = process.cwd();
    process.chdir(sub); // this file's own process (the runner runs each file apart)
    try {
      assert.equal((await collect(decodeToPcm(ffmpeg, 'chapter:1.wav'))).length, 2400 * 2);
    } finally {
      process.chdir(cwd);
    }
  });

  it('fails with the tail of what ffmpeg said when the file is not audio', async () => {
    const text = join(dir, 'not-audio.mp3');
    await writeFile(text, 'this is not an mp3\n'.repeat(50));
    await assert.rejects(collect(decodeToPcm(ffmpeg, text)), (error: unknown) => {
      assert.ok(error instanceof FfmpegFailed);
      assert.notEqual(error.exitCode, 0);
      assert.match(error.stderrTail, /not-audio\.mp3|Invalid|could not find/i);
      return true;
    });
  });
});

describe('ffmetadata', () => {
  it('escapes = ; # \\ and newlines, and ffmpeg reads back every title and sample-exact time as written', async () => {
    assert.equal(escapeFfmetadata('a=b;c#d\\e\nf\r\ng'), 'a\\=b\\;c\\#d\\\\e\\\nf\\\ng');
    const titles = ['Plain', 'a = b; #1 \\ end', 'two\nlines', '  spaced  ', 'Ünïcödé 章'];
    const text = formatFfmetadata({
      sampleRate: 24_000,
      title: 'Book = #1',
      author: 'A; B',
      chapters: titles.map((title, index) => ({
        title,
        startSample: index * 24_001,
        endSample: (index + 1) * 24_001,
      })),
    });
    assert.match(text, /^;FFMETADATA1\n/);
    assert.match(
      text,
      /\[CHAPTER\]\nTIMEBASE=1\/24000\nSTART=24001\nEND=48002\ntitle=a \\= b\\; \\#1 \\\\ end\n/,
    );
    const file = join(dir, 'meta.txt');
    await writeFile(file, text);
    const echoed = parseFfmetadata(
      (await run(ffmpeg, ['-v', 'error', '-i', file, '-f', 'ffmetadata', '-'])).stdout,
    );
    assert.deepEqual(
      echoed.chapters.map((chapter) => chapter.title),
      titles,
    );
    assert.deepEqual(
      echoed.chapters.map((chapter) => chapter.startMs),
      titles.map((_, index) => (index * 24_001 * 1000) / 24_000),
    );
    assert.equal(echoed.tags['title'], 'Book = #1');
    assert.equal(echoed.tags['artist'], 'A; B');
  });
});
