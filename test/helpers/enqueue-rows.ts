import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ModelSlug } from '../../src/segmind/models.js';
import { runCli, type CliOutcome } from './cli.js';

/** One script row as a user writes it (JSONL fields). */
export type ScriptRow = {
  readonly id: string;
  readonly text: string;
  readonly model?: ModelSlug;
  readonly voice_1?: string;
  readonly voice_2?: string;
  readonly temperature?: number;
  readonly [metadata: string]: string | number | undefined;
};

export type EnqueueTarget = {
  /** Settings of the command (REDIS_URL, TTS_QUEUE_PREFIX, ...). */
  readonly env: Readonly<Record<string, string>>;
  readonly run: string;
  /** `TTS_OUT_DIR`: the run is written to `<outRoot>/<run>`. */
  readonly outRoot: string;
  /** Where the script file is written. */
  readonly scriptPath: string;
};

/**
 * Writes `rows` as a JSONL script and runs the real `tts-batch enqueue` on it in-process, as a
 * user would: tests get their runs into Redis the way the product puts them there.
 */
export async function enqueueRows(
  target: EnqueueTarget,
  rows: readonly ScriptRow[],
  extraArgs: readonly string[] = [],
): Promise<CliOutcome> {
  await mkdir(dirname(target.scriptPath), { recursive: true });
  await writeFile(target.scriptPath, rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
  return runCli(['enqueue', target.scriptPath, '--run', target.run, ...extraArgs], {
    ...target.env,
    TTS_OUT_DIR: target.outRoot,
  });
}

/** `enqueueRows` that must succeed: returns its stdout. */
export async function enqueueRowsOk(
  target: EnqueueTarget,
  rows: readonly ScriptRow[],
  extraArgs: readonly string[] = [],
): Promise<string> {
  const outcome = await enqueueRows(target, rows, extraArgs);
  assert.equal(outcome.code, 0, `enqueue failed:\n${outcome.stdout}\n${outcome.stderr}`);
  return outcome.stdout;
}

/** The counts line of an enqueue summary: `{ new, unchanged, skipped }`. */
export function rowCounts(stdout: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const match of stdout.matchAll(/\b(new|unchanged|skipped|removed|adopted) (\d+)/g)) {
    counts[match[1] ?? ''] = Number(match[2]);
  }
  return counts;
}

export function runDir(target: EnqueueTarget): string {
  return join(target.outRoot, target.run);
}
