import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { FFMPEG_NPM_PACKAGE, locateFfmpeg } from '../audio/ffmpeg-locate.js';
import { CHAPTERS_JSON, readChaptersJson, type ChaptersJson } from '../assembly/chapters-json.js';
import type { CliContext } from '../cli/context.js';
import { MINUTE } from '../time.js';
import type { DemoSpec, DemoSummary, MadeRun } from './demo-spec.js';
import { runDemo } from './run-demo.js';
import { waitForFile } from './wait-for-file.js';

export const DEMO_BOOK_RUN = 'demo-book';
export const DEMO_BOOK = fileURLToPath(new URL('../../examples/demo-book.md', import.meta.url));
/** The assembly of a few minutes of audio takes seconds; past this something is wrong. */
const ASSEMBLY_WAIT_MS = 2 * MINUTE;

/** What the book demo found once its rows were done: the assembled book, or why there is none. */
export type BookOutputs = { readonly book: ChaptersJson } | { readonly missing: string };

/** Which ffmpeg the worker's assembly will find (it looks the same way), for the user to know. */
async function ffmpegLine(
  configuredPath: string | undefined,
  searchPath: string | undefined,
): Promise<string> {
  try {
    const ffmpeg = await locateFfmpeg({ configuredPath, searchPath });
    return ffmpeg === undefined
      ? `ffmpeg: none found (TTS_FFMPEG, \`ffmpeg\` on the PATH, the npm package ${FFMPEG_NPM_PACKAGE}): no m4b, its files and the command that makes it instead`
      : `ffmpeg: ${ffmpeg.path} (${ffmpeg.source === 'npm' ? `the npm package ${FFMPEG_NPM_PACKAGE}` : ffmpeg.source}, version ${ffmpeg.version})`;
  } catch (error) {
    return `ffmpeg: ${(error as Error).message}`;
  }
}

function clock(ms: number): string {
  const seconds = ms / 1000;
  return `${Math.floor(seconds / 60)}:${(seconds % 60).toFixed(1).padStart(4, '0')}`;
}

function bookSummary({ progress: p, runDir, outputs }: MadeRun<BookOutputs>): DemoSummary {
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

export const BOOK_DEMO: DemoSpec<BookOutputs> = {
  run: DEMO_BOOK_RUN,
  script: DEMO_BOOK,
  async afterRows({ runDir, out, signal, settings, env }) {
    out.write(
      `${await ffmpegLine(settings.ffmpegPath, env.PATH)}\nassembling the chapters and the audiobook...\n`,
    );
    const done = await waitForFile(join(runDir, CHAPTERS_JSON), { signal, timeoutMs: ASSEMBLY_WAIT_MS });
    if (!done) {
      return {
        missing: signal.aborted
          ? 'demo stopped before the book was assembled'
          : `the book was not assembled within ${ASSEMBLY_WAIT_MS / MINUTE} minutes (no ${join(runDir, CHAPTERS_JSON)}); see the worker's warnings above`,
      };
    }
    // Written last by the assembly: the book is done when it exists.
    const book = await readChaptersJson(runDir);
    return book === undefined ? { missing: `${join(runDir, CHAPTERS_JSON)} is not readable` } : { book };
  },
  summary: bookSummary,
};

/**
 * The book demo: `examples/demo-book.md` (three chapters of Aesop's fables) enqueued as run
 * `demo-book`, made on the simulator and assembled by the worker into chapters, an m4b (when an
 * ffmpeg is found) and captions; it waits until `chapters.json` exists and prints what was made.
 */
export function runDemoBook(context: CliContext): Promise<number> {
  return runDemo(context, BOOK_DEMO);
}
