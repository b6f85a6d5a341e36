import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';
import * as prettier from 'prettier';
import type { Figures, TableRow } from './common.js';

/** The keys of issue 6, in its order; everything else a scenario measures goes under `details`. */
export const REQUIRED_KEYS = [
  'enqueue.ratio',
  'enqueue.rows_per_s',
  'enqueue.addbulk_rows_per_s',
  'enqueue.peak_rss_mb_1m',
  'worker.efficiency',
  'worker.rows_per_s',
  'worker.ideal_rows_per_s',
  'polling.adaptive.calls_per_row',
  'polling.adaptive.detect_delay_ratio',
  'polling.fixed_1s.calls_per_row',
  'polling.fixed_1s.detect_delay_ratio',
  'polling.exponential.calls_per_row',
  'polling.exponential.detect_delay_ratio',
  'rate_limited.rows_per_min_adaptive',
  'rate_limited.rows_per_min_fixed_1s',
  'scale_out',
] as const;

export type RunInfo = {
  readonly machine: string;
  readonly date: string;
  readonly command: string;
  readonly durationS: number;
};

export function runInfo(command: string, durationS: number): RunInfo {
  const cpu = cpus();
  const machine = `${cpu.length} x ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
  return { machine, date: new Date().toISOString(), command, durationS: Math.round(durationS) };
}

export function latestJson(figures: Figures, info: RunInfo): Record<string, unknown> {
  const required: Record<string, unknown> = {};
  const details: Record<string, unknown> = {};
  const wanted: ReadonlySet<string> = new Set(REQUIRED_KEYS);
  for (const key of REQUIRED_KEYS) required[key] = figures[key] ?? null;
  for (const [key, value] of Object.entries(figures)) if (!wanted.has(key)) details[key] = value;
  return {
    ...required,
    machine: info.machine,
    date: info.date,
    command: info.command,
    duration_s: info.durationS,
    details,
  };
}

export function markdownTable(rows: readonly TableRow[]): string {
  const mark = (met: boolean | undefined) => (met === undefined ? '' : met ? 'met' : '**missed**');
  const escape = (text: string) => text.replaceAll('|', '\\|');
  return [
    '| scenario | measure | figure | goal | |',
    '|---|---|---|---|---|',
    ...rows.map(
      (row) =>
        `| ${escape(row.scenario)} | ${escape(row.measure)} | ${escape(row.value)} | ${escape(row.goal)} | ${mark(row.met)} |`,
    ),
  ].join('\n');
}

export const START_MARKER = '<!-- bench:results:start -->';
export const END_MARKER = '<!-- bench:results:end -->';

/** Replaces the text between the markers of BENCHMARKS.md with this run's table. */
export async function updateBenchmarksMd(
  path: string,
  rows: readonly TableRow[],
  info: RunInfo,
): Promise<void> {
  const header = `Machine: ${info.machine}. Date: ${info.date}. Command: \`${info.command}\` (${info.durationS} s).`;
  await replaceSection(path, [START_MARKER, END_MARKER], header, rows);
}

/**
 * Puts `header` and the table of `rows` between `markers` in the markdown file at `path`, then
 * formats the file as `npm run format` would (a table as written here is not aligned, and the
 * format check of CI would refuse it).
 */
async function replaceSection(
  path: string,
  [startMarker, endMarker]: readonly [string, string],
  header: string,
  rows: readonly TableRow[],
): Promise<void> {
  const text = await readFile(path, 'utf8');
  const start = text.indexOf(startMarker);
  const end = text.indexOf(endMarker);
  if (start < 0 || end < start)
    throw new Error(`bench: ${path} has no ${startMarker} ... ${endMarker} section`);
  const section = [startMarker, '', header, '', markdownTable(rows), ''].join('\n');
  const replaced = text.slice(0, start) + section + text.slice(end);
  const options = (await prettier.resolveConfig(path)) ?? {};
  await writeFile(path, await prettier.format(replaced, { ...options, filepath: path }));
}

/**
 * latest.json with a partial run's figures merged in (`--merge`): the issue-6 keys it measured
 * replaced, its other figures replaced under `details`, everything else kept; when and how each
 * merged scenario was measured is under `details.runs.<scenario>`.
 */
export function mergeLatestJson(
  existing: Record<string, unknown>,
  figures: Figures,
  info: RunInfo,
  scenarios: readonly string[],
): Record<string, unknown> {
  const wanted: ReadonlySet<string> = new Set(REQUIRED_KEYS);
  const merged: Record<string, unknown> = { ...existing };
  const details: Record<string, unknown> = {
    ...(existing['details'] as Record<string, unknown> | undefined),
  };
  for (const [key, value] of Object.entries(figures)) {
    if (wanted.has(key)) merged[key] = value;
    else details[key] = value;
  }
  const runs: Record<string, unknown> = { ...(details['runs'] as Record<string, unknown> | undefined) };
  for (const scenario of scenarios)
    runs[scenario] = {
      machine: info.machine,
      date: info.date,
      command: info.command,
      duration_s: info.durationS,
    };
  details['runs'] = runs;
  merged['details'] = details;
  return merged;
}

const sectionMarkers = (name: string) =>
  [`<!-- bench:${name}:start -->`, `<!-- bench:${name}:end -->`] as const;

/** Replaces the text between the markers of scenario `name`'s own section of BENCHMARKS.md with this run's table. */
export async function updateBenchmarksSection(
  path: string,
  name: string,
  rows: readonly TableRow[],
  info: RunInfo,
): Promise<void> {
  const header = `Machine: ${info.machine}. Date: ${info.date}. Command: \`${info.command}\` (this scenario: ${info.durationS} s).`;
  await replaceSection(path, sectionMarkers(name), header, rows);
}

export async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

export async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}
