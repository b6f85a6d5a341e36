import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { makeLogger, type Logger } from '../src/log.js';

/** A figure: a number, or (under `details`) a small structure of them. */
export type FigureValue =
  number | string | null | readonly FigureValue[] | { readonly [key: string]: FigureValue };

/** Flat figures of one scenario, keyed as in bench/results/latest.json. */
export type Figures = Record<string, FigureValue>;

/** One line of the printed table: what was measured, the figure, the goal and whether it is met. */
export type TableRow = {
  readonly scenario: string;
  readonly measure: string;
  readonly value: string;
  readonly goal: string;
  readonly met: boolean | undefined;
};

export type ScenarioResult = { readonly figures: Figures; readonly rows: readonly TableRow[] };

export const SECOND_MS = 1000;

export const round = (value: number, digits = 3): number => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};

export const mean = (values: readonly number[]): number =>
  values.length === 0 ? NaN : values.reduce((sum, value) => sum + value, 0) / values.length;

export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/** A logger that drops everything below `warn`, so that logging does not weigh on what is timed. */
export function quietLogger(): Logger {
  const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  return makeLogger({ level: 'warn', destination: sink, pretty: false });
}

export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

export type SpawnResult = {
  readonly code: number | null;
  readonly elapsedMs: number;
  /** Peak resident set of the child (VmHWM), MB; NaN when it could not be read. */
  readonly peakRssMb: number;
  readonly stdout: string;
  readonly stderr: string;
};

async function readHwmKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match?.[1] === undefined ? 0 : Number(match[1]);
}

/**
 * Runs a command to its end (killed after `timeoutMs`), timing it from spawn to exit and
 * sampling its peak RSS from /proc every 100 ms (VmHWM is a high-water mark, so sampling
 * loses nothing but the last 100 ms).
 */
export async function runTimed(
  command: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<SpawnResult> {
  const startedAt = performance.now();
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4000)));
  let hwmKb = 0;
  let done = false;
  const exited = once(child, 'exit').then(([code]) => {
    done = true;
    return code as number | null;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  while (!done && child.pid !== undefined) {
    hwmKb = Math.max(hwmKb, await readHwmKb(child.pid));
    await Promise.race([delay(100), exited]);
  }
  const code = await exited;
  clearTimeout(timer);
  return {
    code,
    elapsedMs: performance.now() - startedAt,
    peakRssMb: hwmKb > 0 ? hwmKb / 1024 : NaN,
    stdout,
    stderr,
  };
}

/** Polls `probe` every `everyMs` until it returns true; throws after `timeoutMs`. */
export async function waitUntil(
  probe: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
  everyMs = 20,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await probe())) {
    if (performance.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await delay(everyMs);
  }
}

/** A seeded generator of numbers in [0, 1) (an LCG): every run generates the same audio. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
