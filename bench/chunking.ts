import { bookScriptRows } from '../src/book/book-script.js';
import { DEFAULT_CHUNK_CHARS } from '../src/book/chunk-limits.js';
import { chunkChapter } from '../src/book/chunker.js';
import { readPlainTextBook } from '../src/book/plain-text.js';
import { loadavg } from 'node:os';
import { log, round, seededRandom, type ScenarioResult } from './common.js';

/** Size of the generated book: about a 900-page novel. */
const BOOK_BYTES = 5 * 2 ** 20;
const QUICK_BOOK_BYTES = 2 ** 20;
/** Timed runs after one untimed warm-up (the JIT); the median is quoted. */
const REPEATS = 5;

const WORDS = [
  'the',
  'river',
  'lantern',
  'quietly',
  'north',
  'bread',
  'window',
  'old',
  'promise',
  'stone',
  'and',
  'said',
  'walked',
  'towards',
  'morning',
  'her',
  'his',
  'through',
  'garden',
  'letter',
  'never',
  'again',
  'whisper',
  'station',
  'under',
  'silver',
  'because',
  'remembered',
  'a',
  'of',
  'to',
  'in',
];
const ABBREVIATIONS = ['Mr. Holt', 'Dr. Vance', 'Mrs. Avery', 'St. Clair', 'J. R. Moss', 'e.g. this'];

/**
 * A plain-text novel of about `bytes` bytes: `Chapter N` headings, narrative paragraphs of 2-12
 * sentences (abbreviations and initials included), runs of short dialogue lines, and now and
 * then a sentence longer than the chunk cap (which must be cut at clauses, then words).
 */
export function generateBook(bytes: number, seed = 7): string {
  const next = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const sentence = (words: number) => {
    const body = Array.from({ length: words }, () => (next() < 0.04 ? pick(ABBREVIATIONS) : pick(WORDS)));
    const text = body.join(next() < 0.15 ? ', ' : ' ').replace(/, ,/g, ',');
    return `${text.charAt(0).toUpperCase()}${text.slice(1)}${pick(['.', '.', '.', '?', '!'])}`;
  };
  const parts: string[] = [];
  let size = 0;
  for (let chapter = 1; size < bytes; chapter += 1) {
    parts.push(`Chapter ${chapter}. ${sentence(3).slice(0, -1)}`);
    const paragraphs = 20 + Math.floor(next() * 40);
    for (let index = 0; index < paragraphs && size < bytes; index += 1) {
      const roll = next();
      const text =
        roll < 0.25
          ? `"${sentence(3 + Math.floor(next() * 8))}"`
          : roll < 0.27
            ? Array.from({ length: 60 }, () => sentence(6))
                .join(' ')
                .replace(/[.?!] /g, '; ')
            : Array.from({ length: 2 + Math.floor(next() * 11) }, () =>
                sentence(6 + Math.floor(next() * 20)),
              ).join(' ');
      parts.push(text);
      size += Buffer.byteLength(text) + 2;
    }
  }
  return parts.join('\n\n');
}

function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** MB (2^20 bytes) of book text per second: the chunker alone, and reading plus chunking into rows. */
export async function benchChunking(quick: boolean): Promise<ScenarioResult> {
  const text = generateBook(quick ? QUICK_BOOK_BYTES : BOOK_BYTES);
  const megabytes = Buffer.byteLength(text) / 2 ** 20;
  const book = readPlainTextBook(text, 'bench');
  const paragraphs = book.chapters.reduce((sum, chapter) => sum + chapter.paragraphs.length, 0);
  log(`chunking: ${round(megabytes, 2)} MB, ${book.chapters.length} chapters, ${paragraphs} paragraphs`);
  const loadBefore = loadavg()[0]!;
  const chunkerS: number[] = [];
  const wholeS: number[] = [];
  /** CPU seconds of this process for the chunker: steadier than wall time when the cores are shared. */
  const chunkerCpuS: number[] = [];
  let chunks = 0;
  let maxChunkChars = 0;
  for (let repeat = -1; repeat < REPEATS; repeat += 1) {
    await new Promise((resolve) => setImmediate(resolve));
    let startedAt = performance.now();
    const cpuBefore = process.cpuUsage();
    chunks = 0;
    for (const chapter of book.chapters) {
      for (const chunk of chunkChapter(chapter.paragraphs, {
        targetChars: DEFAULT_CHUNK_CHARS,
        locale: 'en',
      })) {
        chunks += 1;
        maxChunkChars = Math.max(maxChunkChars, chunk.text.length);
      }
    }
    if (repeat >= 0) chunkerS.push((performance.now() - startedAt) / 1000);
    const cpu = process.cpuUsage(cpuBefore);
    if (repeat >= 0) chunkerCpuS.push((cpu.user + cpu.system) / 1e6);
    startedAt = performance.now();
    bookScriptRows(readPlainTextBook(text, 'bench'), { targetChars: DEFAULT_CHUNK_CHARS });
    if (repeat >= 0) wholeS.push((performance.now() - startedAt) / 1000);
  }
  const chunkerMbPerS = megabytes / medianOf(chunkerS);
  const wholeMbPerS = megabytes / medianOf(wholeS);
  const chunkerCpuMbPerS = megabytes / medianOf(chunkerCpuS);
  log(`chunking: chunker ${round(chunkerMbPerS, 2)} MB/s, read + rows ${round(wholeMbPerS, 2)} MB/s`);
  return {
    figures: {
      'chunking.chunker_mb_per_s': round(chunkerMbPerS, 2),
      'chunking.load_1min': [round(loadBefore, 1), round(loadavg()[0]!, 1)],
      'chunking.read_and_rows_mb_per_s': round(wholeMbPerS, 2),
      'chunking.book_mb': round(megabytes, 2),
      'chunking.chunks': chunks,
      'chunking.max_chunk_chars': maxChunkChars,
      'chunking.chunker_s': chunkerS.map((s) => round(s, 3)),
      'chunking.chunker_cpu_mb_per_s': round(chunkerCpuMbPerS, 2),
      'chunking.read_and_rows_s': wholeS.map((s) => round(s, 3)),
    },
    rows: [
      {
        scenario: 'chunking',
        measure: `chunker (chunkChapter), ${round(megabytes, 1)} MB generated book, median of ${REPEATS} after a warm-up`,
        value: `${round(chunkerMbPerS, 2)} MB/s`,
        goal: '',
        met: undefined,
      },
      {
        scenario: 'chunking',
        measure: 'chunker per CPU second (this process, user + system), median',
        value: `${round(chunkerCpuMbPerS, 2)} MB/s`,
        goal: '',
        met: undefined,
      },
      {
        scenario: 'chunking',
        measure: 'read the text book and make its script rows (chunks, ids)',
        value: `${round(wholeMbPerS, 2)} MB/s`,
        goal: '',
        met: undefined,
      },
      {
        scenario: 'chunking',
        measure: `chunks of ${DEFAULT_CHUNK_CHARS} target chars; longest; load (1 min) before, after`,
        value: `${chunks}; ${maxChunkChars} chars; ${round(loadBefore, 1)}, ${round(loadavg()[0]!, 1)}`,
        goal: '',
        met: undefined,
      },
    ],
  };
}
