import { MANIFEST_COLUMNS, type ManifestEntry } from './manifest-entry.js';
import { writeFileAtomic } from './run-files.js';

/** A CSV cell: RFC 4180 quoting, and cells a spreadsheet would run as a formula neutralised with a `'`. */
export function csvCell(value: string | number | boolean | null | undefined | readonly string[]): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'object' ? value.join(';') : String(value);
  if (/^[=+\-@\t\r]/.test(text) && !/^-?\d+(\.\d+)?(e-?\d+)?$/i.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A metadata key that is not one of the fixed columns (those win; the key is not repeated). */
export function isMetadataColumn(key: string): boolean {
  return !(MANIFEST_COLUMNS as readonly string[]).includes(key);
}

/** The header line of manifest.csv, with its line break. */
export function manifestCsvHeader(metadataColumns: readonly string[]): string {
  return `${[...MANIFEST_COLUMNS, ...metadataColumns].map(csvCell).join(',')}\r\n`;
}

/** Seconds columns: to the millisecond in CSV (floating-point tails help no spreadsheet); JSON keeps them whole. */
const SECONDS_COLUMNS: ReadonlySet<string> = new Set(['duration_s', 'inference_time_s']);

const toMilliseconds = (seconds: number) => Math.round(seconds * 1000) / 1000;

/** One entry's line of manifest.csv, with its line break. */
export function manifestCsvRow(entry: ManifestEntry, metadataColumns: readonly string[]): string {
  const cells = [
    ...MANIFEST_COLUMNS.map((column) => {
      const value = entry[column];
      return SECONDS_COLUMNS.has(column) && typeof value === 'number' ? toMilliseconds(value) : value;
    }),
    ...metadataColumns.map((column) => entry.metadata[column]),
  ];
  return `${cells.map(csvCell).join(',')}\r\n`;
}

export function manifestCsv(entries: readonly ManifestEntry[]): string {
  const metadataColumns = [...new Set(entries.flatMap((entry) => Object.keys(entry.metadata)))].filter(
    isMetadataColumn,
  );
  return manifestCsvHeader(metadataColumns) + entries.map((e) => manifestCsvRow(e, metadataColumns)).join('');
}

/**
 * One entry as an element of manifest.json's array (indented as `JSON.stringify(array, null, 2)`
 * indents it, without separator), `content_hash` left out: the files are for people and tools
 * downstream, the hash is the product's own bookkeeping.
 */
export function manifestJsonElement(entry: ManifestEntry): string {
  const { content_hash: _hash, ...shown } = entry;
  // The element as it is inside its array: `[\n  {...}\n]` without the brackets and breaks.
  return JSON.stringify([shown], null, 2).slice(2, -2);
}

/** manifest.json from its elements, as pieces: `[`, the elements separated by `,`, `]`. */
export const MANIFEST_JSON = {
  open: '[\n',
  separator: ',\n',
  close: '\n]\n',
  empty: '[]\n',
} as const;

/**
 * Writes manifest.json and manifest.csv of a run from entries in memory: one entry per row, in
 * script order. For small sets of entries; a run's final manifests come from
 * report/run-manifests.ts, which streams them from manifest.jsonl.
 */
export async function writeFinalManifests(runDir: string, entries: readonly ManifestEntry[]): Promise<void> {
  const ordered = [...entries].sort((a, b) => a.seq - b.seq);
  const json =
    ordered.length === 0
      ? MANIFEST_JSON.empty
      : MANIFEST_JSON.open +
        ordered.map(manifestJsonElement).join(MANIFEST_JSON.separator) +
        MANIFEST_JSON.close;
  await writeFileAtomic(runDir, 'manifest.json', json);
  await writeFileAtomic(runDir, 'manifest.csv', manifestCsv(ordered));
}
