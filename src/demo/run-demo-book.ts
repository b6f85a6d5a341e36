import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { FFMPEG_NPM_PACKAGE, locateFfmpeg, type Ffmpeg } from '../audio/ffmpeg-locate.js';
import type { CliContext } from '../cli/context.js';
import { withQueue } from '../queue/queue-session.js';
import { loadSettings } from '../settings.js';
import { MINUTE } from '../time.js';
import type { DemoSpec, DemoSummary, MadeRun } from './demo-spec.js';
import { runDemo } from './run-demo.js';
import { awaitBook, type AwaitedBook } from './await-book.js';

export const DEMO_BOOK_RUN = 'demo-book';
export const DEMO_BOOK = fileURLToPath(new URL('../../examples/demo-book.md', import.meta.url));
/** With no assembly job queued or running for this long, the book is not coming. */
const ASSEMBLY_WAIT_MS = 2 * MINUTE;

/** Which ffmpeg the worker's assembly will find (it looks the same way), for the user to know. */
function ffmpegLine(ffmpeg: Ffmpeg | undefined): string {
  if (ffmpeg === undefined)
    return `ffmpeg: none found (TTS_FFMPEG, \`ffmpeg\` on the PATH, the npm package ${FFMPEG_NPM_PACKAGE}): no m4b, its files and the command that makes it instead`;
  const source = ffmpeg.source === 'npm' ? `the npm package ${FFMPEG_NPM_PACKAGE}` : ffmpeg.source;
  return `ffmpeg: ${ffmpeg.path} (${source}, version ${ffmpeg.version})`;
}

function clock(ms: number): string {
  const seconds = ms / 1000;
  return `${Math.floor(seconds / 60)}:${(seconds % 60).toFixed(1).padStart(4, '0')}`;
}

function bookSummary({ progress: p, runDir, outputs }: MadeRun<AwaitedBook>): DemoSummary {
  const head = ['', `done: ${p.done} of ${p.rows} rows made, ${p.failed} failed`];
  const tail = [
    `manifests: ${join(runDir, 'manifest.json')} and manifest.csv (one entry per row, in script order)`,
    `API calls: ${p.calls} (submits, polls and result fetches) to the local simulator`,
    `on the real API this would have cost about $${p.costUsd.toFixed(4)}`,
    '',
    'next: `npm run import -- <your-book.epub>` to read and edit its script, or `npm run enqueue -- <your-book.epub> --dry-run` for the estimate',
    '',
  ];
  if ('missing' in outputs) return { ok: false, text: [...head, outputs.missing, ...tail].join('\n') };
  const { book } = outputs;
  const width = Math.max(...book.chapters.map((chapter) => chapter.title.length));
  const made = [
    `book: ${book.title}${book.author === null ? '' : `, by ${book.author}`}: ${book.chapters.length} chapters, ${clock(book.duration_ms)} of audio`,
    book.m4b === null
      ? `audiobook: none without an ffmpeg; to make ${join(runDir, `${DEMO_BOOK_RUN}.m4b`)}, run in ${runDir}:\n  ${book.ffmpeg_command ?? '(no command written)'}`
      : `audiobook: ${join(runDir, book.m4b)} (AAC, a chapter mark per chapter, title and author tags)`,
    `chapters: ${join(runDir, 'chapters.json')}, and each chapter's audio:`,
    ...book.chapters.map(
      (chapter) =>
        `  ${String(chapter.index).padStart(2)}  ${clock(chapter.start_ms).padStart(7)}  ${clock(chapter.duration_ms).padStart(7)}  ${chapter.title.padEnd(width)}  ${chapter.file}`,
    ),
    `captions: ${join(runDir, book.srt)} and ${book.vtt} (one cue per sentence)`,
  ];
  return { ok: true, text: [...head, ...made, ...tail].join('\n') };
}

export const BOOK_DEMO: DemoSpec<AwaitedBook> = {
  run: DEMO_BOOK_RUN,
  script: DEMO_BOOK,
  afterRows: ({ runDir, out, signal, settings }) => {
    out.write('assembling the chapters and the audiobook...\n');
    return withQueue(settings, (session) =>
      awaitBook({ run: DEMO_BOOK_RUN, runDir, session, out, signal, timeoutMs: ASSEMBLY_WAIT_MS }),
    );
  },
  summary: bookSummary,
};

/**
 * The book demo: `examples/demo-book.md` (three chapters of Aesop's fables) enqueued as run
 * `demo-book`, made on the simulator and assembled by the worker into chapters, an m4b (when an
 * ffmpeg is found) and captions; it waits until `chapters.json` exists and prints what was made.
 */
export async function runDemoBook(context: CliContext): Promise<number> {
  // A TTS_FFMPEG that does not run is refused (exit 2) before anything starts.
  const ffmpeg = await locateFfmpeg({
    configuredPath: loadSettings(context.env).ffmpegPath,
    searchPath: context.env.PATH,
  });
  context.stdout.write(`${ffmpegLine(ffmpeg)}\n`);
  return runDemo(context, BOOK_DEMO);
}
