import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { RedisClient } from '../redis/connection.js';
import {
  MANIFEST_JSON,
  manifestCsvHeader,
  manifestCsvRow,
  manifestJsonElement,
} from '../output/final-manifest.js';
import type { ManifestEntry } from '../output/manifest-entry.js';
import { audioFileStates } from './audio-on-disk.js';
import { indexManifest } from './manifest-index.js';
import { unfinishedRows } from './unfinished-rows.js';
import { readLineSpans } from './jsonl-lines.js';
import { decodeManifestLine } from './manifest-line.js';
import { openStreamedFile } from './streamed-file.js';

export const MANIFEST_LINES_FILE = 'manifest.jsonl';

export type RunManifestsInput = {
  readonly redis: RedisClient;
  readonly prefix: string;
  readonly run: string;
  /** The run's output directory (`<TTS_OUT_DIR>/<run>`). */
  readonly outDir: string;
  /** Told of every entry as it is written, in script order (the morning report's figures). */
  readonly onEntry?: (entry: ManifestEntry) => void;
};

export type RunManifests = {
  /** Entries written as `completed`. */
  readonly completed: number;
  /** Entries written as `failed`, the rows whose audio file is missing included. */
  readonly failed: number;
  /** Rows whose current content has no outcome yet: not in the manifests. */
  readonly pending: readonly string[];
  /** Audio files of completed rows that are not in the run directory (or not at their recorded size). */
  readonly missingFiles: readonly string[];
  /**
   * Rows with an outcome in Redis but no manifest.jsonl line for it (yet: a worker records the
   * outcome, then appends the line): not in the manifests; writing them again later adds them.
   */
  readonly unlined: readonly string[];
};

/** Rows read and checked at a time: bounds the lines in memory, lets neighbouring lines share a read. */
const WINDOW_ROWS = 256;

/** The error of a completed row whose audio is gone, in the final manifests. */
export function missingAudioError(file: string, state: 'missing' | 'changed'): string {
  return state === 'missing'
    ? `audio file missing (${file}): enqueue the script again to remake it`
    : `audio file changed on disk since it was made (${file}): enqueue the script again to remake it`;
}

/** A completed entry whose file is not there: a failed row (a consumer must not look for the file). */
function withoutAudio(entry: ManifestEntry, state: 'missing' | 'changed'): ManifestEntry {
  return {
    ...entry,
    status: 'failed',
    file: null,
    bytes: null,
    duration_s: null,
    audio_sha256: null,
    error: missingAudioError(entry.file ?? `${entry.id}.wav`, state),
  };
}

type CheckedEntry = { readonly entry: ManifestEntry; readonly missingFile: string | undefined };

/** The entries of `texts`, each completed one's audio file checked (lstat: there, at its size). */
async function checkedEntries(outDir: string, texts: readonly string[]): Promise<CheckedEntry[]> {
  const entries = texts.map((text) => decodeManifestLine(text)).filter((entry) => entry !== undefined);
  const audio = entries.map((entry) => (entry.status === 'completed' ? entry : { file: null, bytes: null }));
  const states = await audioFileStates(outDir, audio);
  return entries.map((entry, at) => {
    const state = states[at] ?? 'missing';
    if (entry.status !== 'completed' || state === 'ok') return { entry, missingFile: undefined };
    return { entry: withoutAudio(entry, state), missingFile: entry.file ?? `${entry.id}.wav` };
  });
}

/**
 * Writes a run's manifest.json and manifest.csv from its manifest.jsonl: one entry per row whose
 * current content has an outcome in Redis, the last line for that outcome, in script order
 * (`seq`). Streamed and atomic (each file appears whole or not at all), in bounded memory: an
 * index of line offsets (24 bytes a row), then the lines a window at a time. A completed row whose audio file is
 * missing is written as failed, with an error saying how to remake it.
 */
export async function writeRunManifests(input: RunManifestsInput): Promise<RunManifests> {
  const { redis, prefix, run, outDir } = input;
  const linesPath = join(outDir, MANIFEST_LINES_FILE);
  const index = await indexManifest(redis, prefix, run, linesPath);
  const lined = index.order;

  const json = await openStreamedFile(outDir, 'manifest.json');
  const csv = await openStreamedFile(outDir, 'manifest.csv').catch(async (error: unknown) => {
    await json.abort();
    throw error;
  });
  let handle: FileHandle | undefined;
  const missingFiles: string[] = [];
  let completed = 0;
  let failed = 0;
  try {
    if (lined.length > 0) handle = await open(linesPath, 'r');
    await csv.write(manifestCsvHeader(index.metadataColumns));
    await json.write(lined.length === 0 ? MANIFEST_JSON.empty : MANIFEST_JSON.open);
    let first = true;
    for (let start = 0; start < lined.length; start += WINDOW_ROWS) {
      const window = lined.subarray(start, start + WINDOW_ROWS);
      const spans = Array.from(window, (line) => index.table.span(line));
      const entries = await checkedEntries(outDir, handle ? await readLineSpans(handle, spans) : []);
      const jsonPieces: string[] = [];
      const csvRows: string[] = [];
      for (const { entry, missingFile } of entries) {
        if (entry.status === 'completed') completed += 1;
        else failed += 1;
        if (missingFile !== undefined) missingFiles.push(missingFile);
        input.onEntry?.(entry);
        jsonPieces.push((first ? '' : MANIFEST_JSON.separator) + manifestJsonElement(entry));
        csvRows.push(manifestCsvRow(entry, index.metadataColumns));
        first = false;
      }
      await json.write(jsonPieces.join(''));
      await csv.write(csvRows.join(''));
    }
    if (lined.length > 0) await json.write(MANIFEST_JSON.close);
    await json.commit();
    await csv.commit();
  } catch (error) {
    await Promise.all([json.abort(), csv.abort()]);
    throw error;
  } finally {
    await handle?.close();
  }
  return { completed, failed, missingFiles, ...(await unfinishedRows(redis, prefix, run, index)) };
}
