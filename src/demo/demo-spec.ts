import type { Writable } from 'node:stream';
import type { Settings } from '../settings.js';
import type { RunProgress } from '../status/run-progress.js';

/** What a demo made, for its summary. */
export type MadeRun<T> = {
  readonly progress: RunProgress;
  /** Absolute. */
  readonly runDir: string;
  /** What `afterRows` found. */
  readonly outputs: T;
};

export type DemoSummary = { readonly text: string; readonly ok: boolean };

/** One demo: its script, its run, and what it waits for and prints once the rows are done. */
export type DemoSpec<T> = {
  readonly run: string;
  readonly script: string;
  /** Runs once every row is finished, with the worker still running (a book's assembly needs it). */
  readonly afterRows: (run: {
    runDir: string;
    out: Writable;
    signal: AbortSignal;
    /** The demo's settings (its Redis, simulator and key prefix). */
    settings: Settings;
  }) => Promise<T>;
  readonly summary: (made: MadeRun<T>) => DemoSummary;
};
