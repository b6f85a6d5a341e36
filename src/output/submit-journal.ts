import { readFile, rm } from 'node:fs/promises';
import { appendLine, appendToExisting, pathInRun } from './run-files.js';

/** The hidden file of the run directory that journals one row's submits while it is in flight. */
export function submitJournalFile(id: string): string {
  return `.${id}.submits.jsonl`;
}

/** A request as the journal keeps it: enough to poll it again. */
export type JournaledRequest = {
  readonly requestId: string;
  readonly statusUrl: string;
  readonly responseUrl: string;
  readonly submittedAt: number;
};

export type JournalEvent =
  | { readonly t: 'send'; readonly token: string; readonly h: string; readonly at: number }
  | { readonly t: 'cancel'; readonly token: string; readonly h: string; readonly at: number }
  /**
   * Starts the journal of a row sent in parts (its submits are in its parts' journals): from
   * here on its line marks are kept, as a submitted row's are.
   */
  | { readonly t: 'open'; readonly h: string; readonly at: number }
  | {
      readonly t: 'answer';
      readonly token: string;
      readonly h: string;
      readonly at: number;
      readonly request: JournaledRequest;
    }
  /**
   * Written before the row's manifest.jsonl line is appended: `at` is the file's size then (the
   * line lands at or after it), `o` the outcome the line stands for, as Redis keeps it.
   */
  | { readonly t: 'line'; readonly h: string; readonly at: number; readonly o: string };

/** What the journal knows of one version of a row: the submits it made and the last request. */
export type JournalState = {
  readonly submits: number;
  readonly last: JournaledRequest | undefined;
  /** The token of the submit `last` answered. */
  readonly lastToken?: string | undefined;
};

/**
 * The output directory's record of a row's submissions, beside Redis's: a line before every POST
 * that may leave and after every answer, so that a Redis that restarted empty or was flushed does
 * not make a row pay again unrecorded. The next worker counts the row's submits from it and
 * polls its last request again instead of submitting. Removed once the row's manifest line is
 * written (manifest.jsonl then carries the count).
 */
export type SubmitJournal = {
  append(id: string, event: JournalEvent): Promise<void>;
  read(id: string, contentHash: string): Promise<JournalState | undefined>;
  /**
   * The last manifest line this version of the row was about to append (`t: 'line'`), if any;
   * undefined when the row has no journal at all.
   */
  lastLine(id: string, contentHash: string): Promise<{ readonly mark: LineMark | undefined } | undefined>;
  remove(id: string): Promise<void>;
};

/** Where a row's manifest line was to land (`at`) and the outcome it stands for (`o`). */
export type LineMark = { readonly at: number; readonly o: string };

export function makeSubmitJournal(runDir: string): SubmitJournal {
  const dir = runDir;
  const file = submitJournalFile;
  return {
    // Only a submit (or a parted row's opening) starts a journal: an answer, a cancel or a line
    // mark that comes after the row's journal was removed (the row completed) starts none.
    append: async (id, event) => {
      if (event.t === 'send' || event.t === 'open') await appendLine(dir, file(id), JSON.stringify(event));
      else await appendToExisting(dir, file(id), JSON.stringify(event));
    },
    async read(id, contentHash) {
      const events = await readEvents(dir, file(id), contentHash);
      if (events === undefined) return undefined;
      let submits = 0;
      let last: JournaledRequest | undefined;
      let lastToken: string | undefined;
      for (const event of events) {
        if (event.t === 'send') submits += 1;
        else if (event.t === 'cancel') submits -= 1;
        else if (event.t === 'answer') {
          last = event.request;
          lastToken = event.token;
        }
      }
      return submits > 0 || last ? { submits: Math.max(submits, 0), last, lastToken } : undefined;
    },
    async lastLine(id, contentHash) {
      const events = await readEvents(dir, file(id), contentHash);
      if (events === undefined) return undefined;
      const last = events.filter((event) => event.t === 'line').at(-1);
      return { mark: last ? { at: last.at, o: last.o } : undefined };
    },
    async remove(id) {
      await rm(pathInRun(dir, file(id)), { force: true });
    },
  };
}

/** The journal's events for one version of the row; undefined when there is no journal. */
async function readEvents(
  dir: string,
  name: string,
  contentHash: string,
): Promise<JournalEvent[] | undefined> {
  const text = await readFile(pathInRun(dir, name), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const events: JournalEvent[] = [];
  for (const line of text.split('\n')) {
    try {
      const event = JSON.parse(line) as JournalEvent;
      if (event.h === contentHash) events.push(event);
    } catch {
      // a line cut short by a crash
    }
  }
  return events;
}
