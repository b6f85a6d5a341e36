import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { npmPackagedFfmpeg } from '../src/audio/ffmpeg-locate.js';
import { readBook } from '../src/book/read-book.js';
import { DEMO_BOOK } from '../src/demo/run-demo-book.js';
import { runCli } from './helpers/cli.js';
import { startPrivateRedis, type PrivateRedis } from './helpers/redis.js';

const run = promisify(execFile);
/** Debian's ffmpeg (.ci/run installs it), found on the PATH as the product finds it. */
const FFMPEG = 'ffmpeg';
/** An AAC frame: the encoder pads the end of the audio to a whole one. */
const AAC_FRAME_SAMPLES = 1024;

type ChaptersJson = {
  title: string;
  author: string | null;
  duration_ms: number;
  m4b: string | null;
  srt: string;
  vtt: string;
  ffmpeg_command: string | null;
  chapters: {
    index: number;
    title: string;
    start_ms: number;
    duration_ms: number;
    file: string;
    rows: string[];
  }[];
};
type ManifestEntry = { id: string; status: string; submits: number };
type Cue = { startMs: number; endMs: number; text: string };

let redis: PrivateRedis;
let dir: string;
before(async () => {
  redis = await startPrivateRedis();
  dir = await mkdtemp(join(tmpdir(), 'tts-demo-book-'));
});
after(async () => {
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The book demo in this process, as `npm run demo -- --book` runs it, into `<dir>/<outName>`. */
const demoBook = (outName: string, env: Record<string, string>) =>
  runCli(
    ['demo', '--book'],
    { TTS_OUT_DIR: join(dir, outName), TTS_DEMO_REDIS_PROBE: `127.0.0.1:${redis.port}`, ...env },
    dir,
  );

const readJson = async <T>(path: string): Promise<T> => JSON.parse(await readFile(path, 'utf8')) as T;
const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

function cueTime(text: string): number {
  const match = /^(\d+):(\d{2}):(\d{2})[,.](\d{3})$/.exec(text);
  assert.ok(match, `a cue time: ${text}`);
  const [hours, minutes, seconds, ms] = match.slice(1).map(Number) as [number, number, number, number];
  return ((hours * 60 + minutes) * 60 + seconds) * 1000 + ms;
}

/** The cues of an SRT or WebVTT file, checked to be numbered 1, 2, 3... */
function parseCues(text: string, vtt: boolean): Cue[] {
  const blocks = text.replace(/\r\n/g, '\n').trim().split(/\n\n+/);
  if (vtt) assert.equal(blocks.shift(), 'WEBVTT');
  return blocks.map((block, at) => {
    const [number, times, ...lines] = block.split('\n');
    assert.equal(number, String(at + 1));
    const [start, end] = (times ?? '').split(' --> ');
    return { startMs: cueTime(start ?? ''), endMs: cueTime(end ?? ''), text: lines.join('\n') };
  });
}

/** What ffmpeg reads back from an m4b: its tags and chapter marks (ms), and its decoded length. */
async function readM4b(
  path: string,
): Promise<{ tags: Map<string, string>; marks: number[][]; samples: number }> {
  const { stdout } = await run(FFMPEG, ['-v', 'error', '-i', path, '-f', 'ffmetadata', '-']);
  const tags = new Map<string, string>();
  const marks: number[][] = [];
  for (const section of stdout.split('[CHAPTER]')) {
    const fields = new Map(
      section
        .split('\n')
        .filter((line) => line.includes('=') && !line.startsWith(';'))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const),
    );
    if (marks.length === 0 && !fields.has('START')) {
      for (const [key, value] of fields) tags.set(key, value);
      marks.push([]);
      continue;
    }
    const base = /^1\/(\d+)$/.exec(fields.get('TIMEBASE') ?? '');
    const timebase = 1000 / Number(base?.[1]);
    marks.push([Number(fields.get('START')) * timebase, Number(fields.get('END')) * timebase]);
  }
  marks.shift();
  const decoder = spawn(FFMPEG, ['-v', 'error', '-i', path, '-f', 's16le', '-ac', '1', '-ar', '24000', '-'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let bytes = 0;
  for await (const chunk of decoder.stdout) bytes += (chunk as Buffer).length;
  return { tags, marks, samples: bytes / 2 };
}

/** Checks the outputs both demos leave: chapters.json against the manifest, chapter files, captions. */
async function checkBookOutputs(runDir: string, stdout: string): Promise<ChaptersJson> {
  const book = await readBook(DEMO_BOOK);
  const manifest = await readJson<ManifestEntry[]>(join(runDir, 'manifest.json'));
  assert.equal(manifest.length, 15);
  assert.deepEqual(new Set(manifest.map((entry) => entry.status)), new Set(['completed']));
  const recorded = manifest.reduce((sum, entry) => sum + entry.submits, 0);
  // The demo checks the simulator's ledger against the manifest and prints it: every row billed once.
  assert.match(
    stdout,
    new RegExp(
      `billing: the simulator billed 15 submissions; the manifest records ${recorded} \\(nothing paid unrecorded\\)`,
    ),
  );

  const chapters = await readJson<ChaptersJson>(join(runDir, 'chapters.json'));
  assert.equal(chapters.title, "Aesop's Fables");
  assert.equal(chapters.author, 'Aesop, translated by George Fyler Townsend');
  assert.deepEqual(
    chapters.chapters.map((chapter) => [chapter.index, chapter.title]),
    book.chapters.map((chapter, at) => [at + 1, chapter.title]),
  );
  assert.deepEqual(
    chapters.chapters.flatMap((chapter) => chapter.rows),
    manifest.map((entry) => entry.id),
    'every row in one chapter, in script order',
  );
  let startMs = 0;
  for (const chapter of chapters.chapters) {
    assert.equal(chapter.start_ms, startMs, `chapter ${chapter.index} starts where the one before ends`);
    assert.ok(chapter.duration_ms > 10_000, `chapter ${chapter.index} has its fables' audio`);
    startMs += chapter.duration_ms;
    const wav = await readFile(join(runDir, chapter.file));
    assert.equal(wav.subarray(0, 4).toString('latin1'), 'RIFF', chapter.file);
    assert.match(chapter.file, /^chapters\//);
  }
  assert.equal(chapters.duration_ms, startMs, 'the book lasts as long as its chapters');
  assert.match(
    stdout,
    /book: Aesop's Fables, by Aesop, translated by George Fyler Townsend: 3 chapters, \d:\d{2}\.\d of audio/,
  );
  for (const chapter of chapters.chapters) assert.ok(stdout.includes(chapter.file), chapter.file);

  const srt = parseCues(await readFile(join(runDir, chapters.srt), 'utf8'), false);
  const vtt = parseCues(await readFile(join(runDir, chapters.vtt), 'utf8'), true);
  assert.equal(chapters.srt, 'demo-book.srt');
  assert.equal(chapters.vtt, 'demo-book.vtt');
  assert.deepEqual(vtt, srt, 'the SRT and WebVTT captions hold the same cues');
  let endMs = 0;
  for (const cue of srt) {
    assert.ok(
      cue.startMs >= endMs && cue.endMs > cue.startMs,
      `ordered, not overlapping: ${JSON.stringify(cue)}`,
    );
    endMs = cue.endMs;
  }
  assert.ok(endMs <= chapters.duration_ms, `the last cue ends inside the audio (${endMs} ms)`);
  for (const chapter of chapters.chapters) {
    const title = srt.find((cue) => cue.text === chapter.title);
    assert.ok(title, `a cue speaks the title of chapter ${chapter.index}`);
    assert.ok(title.startMs >= chapter.start_ms && title.startMs < chapter.start_ms + chapter.duration_ms);
  }
  assert.ok(
    srt.some((cue) => cue.text === 'Necessity is the mother of invention.'),
    'one cue per sentence',
  );
  return chapters;
}

/** The m4b read back with ffmpeg: tags, a mark per chapter where chapters.json says, its length. */
async function checkM4b(runDir: string, chapters: ChaptersJson): Promise<void> {
  assert.equal(chapters.m4b, 'demo-book.m4b');
  const m4b = await readM4b(join(runDir, 'demo-book.m4b'));
  assert.equal(m4b.tags.get('title'), chapters.title);
  assert.equal(m4b.tags.get('artist'), chapters.author);
  assert.equal(m4b.marks.length, chapters.chapters.length);
  chapters.chapters.forEach((chapter, at) => {
    const [start = NaN, end = NaN] = m4b.marks[at] ?? [];
    assert.ok(
      Math.abs(start - chapter.start_ms) <= 1,
      `mark ${at + 1} starts at ${start}, not ${chapter.start_ms}`,
    );
    assert.ok(Math.abs(end - (chapter.start_ms + chapter.duration_ms)) <= 1, `mark ${at + 1} ends at ${end}`);
  });
  const bookSamples = (chapters.duration_ms * 24_000) / 1000;
  assert.ok(
    Math.abs(m4b.samples - bookSamples) < AAC_FRAME_SAMPLES,
    `the m4b decodes to ${m4b.samples} samples, the book has ${bookSamples}`,
  );
}

const npmFfmpeg = npmPackagedFfmpeg();
/** A PATH where no ffmpeg is: what a machine without one looks like to the worker. */
const noFfmpegPath = () => join(dir, 'no-ffmpeg-here');

describe('npm run demo -- --book', () => {
  it('leaves chapters, demo-book.m4b with its marks and tags, chapters.json and captions', async () => {
    const result = await demoBook('out', { PATH: process.env.PATH ?? '' });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const runDir = join(dir, 'out', 'demo-book');
    assert.match(result.stdout, /done: 15 of 15 rows made, 0 failed/);
    for (const index of [1, 2, 3])
      assert.match(result.stdout, new RegExp(`\\nassembled: chapter ${index} \\(chapters/`));
    assert.equal(result.stdout.match(/\nassembled: chapter /g)?.length, 3, 'each chapter said once');
    assert.match(result.stdout, /^ffmpeg: \S+ \(PATH, version \S+\)\n/);
    const chapters = await checkBookOutputs(runDir, result.stdout);
    assert.equal(chapters.ffmpeg_command, null);
    assert.ok(result.stdout.includes(`audiobook: ${join(runDir, 'demo-book.m4b')}`), result.stdout);
    await checkM4b(runDir, chapters);
  });

  it(
    "after nothing but npm install (no ffmpeg on the PATH): the m4b from the npm package's ffmpeg",
    { skip: npmFfmpeg === undefined ? 'the optional npm package with an ffmpeg is not installed' : false },
    async () => {
      const result = await demoBook('out-npm-ffmpeg', { PATH: noFfmpegPath() });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.ok(
        result.stdout.startsWith(`ffmpeg: ${npmFfmpeg} (the npm package @ffmpeg-installer/ffmpeg, version `),
        result.stdout,
      );
      const runDir = join(dir, 'out-npm-ffmpeg', 'demo-book');
      await checkM4b(runDir, await checkBookOutputs(runDir, result.stdout));
    },
  );

  it(
    'without any ffmpeg says so and leaves the chapters, chapters.json, captions and the command that makes the m4b',
    { skip: npmFfmpeg === undefined ? false : 'the optional npm package ships an ffmpeg here' },
    async () => {
      const result = await demoBook('out-no-ffmpeg', { PATH: noFfmpegPath() });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /^ffmpeg: none found /);
      const runDir = join(dir, 'out-no-ffmpeg', 'demo-book');
      const chapters = await checkBookOutputs(runDir, result.stdout);
      assert.equal(chapters.m4b, null);
      assert.equal(await exists(join(runDir, 'demo-book.m4b')), false);
      assert.ok(chapters.ffmpeg_command?.startsWith('ffmpeg '), String(chapters.ffmpeg_command));
      assert.ok(
        result.stdout.includes(
          `audiobook: none without an ffmpeg; to make ${join(runDir, 'demo-book.m4b')}, run in ${runDir}:`,
        ),
      );
      assert.ok(result.stdout.includes(`\n  ${chapters.ffmpeg_command}\n`), 'the command is printed');

      // The printed command, run where an ffmpeg is, finishes the job as written.
      await run('sh', ['-c', chapters.ffmpeg_command ?? 'false'], {
        cwd: runDir,
        env: { PATH: process.env.PATH ?? '' },
      });
      await checkM4b(runDir, { ...chapters, m4b: 'demo-book.m4b' });
    },
  );

  it('refuses a TTS_FFMPEG that does not run before anything starts (exit 2)', async () => {
    const missing = join(dir, 'no-such-ffmpeg');
    const result = await demoBook('out-bad-ffmpeg', { PATH: process.env.PATH ?? '', TTS_FFMPEG: missing });
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.ok(result.stderr.includes(`Expected \`TTS_FFMPEG\` to be an ffmpeg that runs`), result.stderr);
    assert.ok(result.stderr.includes(missing));
    assert.equal(result.stdout, '');
    assert.equal(await exists(join(dir, 'out-bad-ffmpeg')), false);
  });
});
