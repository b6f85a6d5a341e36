import type { MasterProfile } from '../master/acx-spec.js';
import type { AssemblyPauses } from './assembly-settings.js';

/** One row of a chapter, in order. */
export type PlanRow = {
  readonly id: string;
  /** `title`: the chapter's spoken title, followed by the title pause. */
  readonly kind: 'title' | 'text';
  /** The row's text, for the captions. */
  readonly text: string;
  /** `false`: its paragraph goes on in the next row (a book's `paragraph_end` column), so no paragraph pause follows. */
  readonly paragraphEnd?: false;
};

export type PlanChapter = {
  /** 1-based, in order. */
  readonly index: number;
  readonly title: string;
  /** File name of the chapter's audio under `<out>/<run>/chapters/`. */
  readonly file: string;
  readonly rows: readonly PlanRow[];
};

/**
 * How a run's rows join into chapters and the audiobook: written by enqueue to
 * `<out>/<run>/.tts-chapters.json` (see plan-store.ts), read by every worker's assembly.
 */
export type ChapterPlan = {
  readonly version: 1;
  readonly run: string;
  /** The audiobook's tags: the book's title (else the run's name) and author. */
  readonly title: string;
  readonly author: string | null;
  /** File name of the cover image in the run directory, if the book has one. */
  readonly cover: string | null;
  readonly pauses: AssemblyPauses;
  /** `--master acx` (`TTS_MASTER`): the book job also masters every chapter (src/master); absent in older plans. */
  readonly master?: MasterProfile | null;
  readonly chapters: readonly PlanChapter[];
};

/** What grouping needs of one valid script row, in script order. */
export type GroupableRow = {
  readonly id: string;
  readonly text: string;
  readonly meta: Readonly<Record<string, string>>;
};

/**
 * Rows into chapters. A row's chapter is its `chapter_index` when it has one (books and their
 * imported scripts: two chapters may share a title), else its `chapter`; chapters are ordered by
 * first appearance and keep their rows in script order. A row with neither belongs to the
 * chapter of the row before it; rows before any chapter form an untitled first chapter.
 */
export function groupChapters(rows: Iterable<GroupableRow>): { title: string; rows: PlanRow[] }[] {
  const chapters = new Map<string, { title: string; rows: PlanRow[] }>();
  let current: { title: string; rows: PlanRow[] } | undefined;
  for (const row of rows) {
    const title = row.meta['chapter']?.trim() ?? '';
    const index = row.meta['chapter_index']?.trim() ?? '';
    const key = index !== '' ? `#${index}` : title !== '' ? `=${title}` : undefined;
    if (key !== undefined) {
      current = chapters.get(key);
      if (current === undefined) {
        current = { title, rows: [] };
        chapters.set(key, current);
      }
    } else if (current === undefined) {
      current = { title: '', rows: [] };
      chapters.set('', current);
    }
    const kind = row.meta['kind'] === 'title' ? 'title' : 'text';
    const continues = row.meta['paragraph_end']?.trim().toLowerCase() === 'false';
    current.rows.push({ id: row.id, kind, text: row.text, ...(continues ? { paragraphEnd: false } : {}) });
  }
  return [...chapters.values()];
}

/** A file-name-safe slug of a chapter title: `01-the-storm.wav`. */
export function chapterFileName(index: number, count: number, title: string): string {
  const width = Math.max(2, String(count).length);
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/['\u2019]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
  return `${String(index).padStart(width, '0')}-${slug === '' ? 'chapter' : slug}.wav`;
}

/**
 * The gap after each row of a chapter but its last: the title pause after a title, none inside a
 * paragraph cut between sentences (the clips' trim pads make the pause), else the paragraph pause.
 */
export function chapterGapsMs(chapter: PlanChapter, pauses: AssemblyPauses): number[] {
  return chapter.rows
    .slice(0, -1)
    .map((row) =>
      row.kind === 'title' ? pauses.titleMs : row.paragraphEnd === false ? 0 : pauses.paragraphMs,
    );
}

/** A chapter's title as the audiobook shows it (`Chapter 3` for an untitled one). */
export function shownTitle(chapter: Pick<PlanChapter, 'index' | 'title'>): string {
  return chapter.title === '' ? `Chapter ${chapter.index}` : chapter.title;
}
