import { MANIFEST_COLUMNS, type ManifestEntry } from './manifest-entry.js';
import { writeFileAtomic } from './run-files.js';

/** A CSV cell: RFC 4180 quoting, and cells a spreadsheet would run as a formula neutralised with a `'`. */
export function csvCell(value: string | number | boolean | null | undefined | readonly string[]): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'object' ? value.join(';') : String(value);
  if (/^[=+\-@\t\r]/.test(text) && !/^-?\d+(\.\d+)?(e-?\d+)?$/i.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function manifestCsv(entries: readonly ManifestEntry[]): string {
  const metadataColumns = [...new Set(entries.flatMap((entry) => Object.keys(entry.metadata)))].filter(
    (column) => !(MANIFEST_COLUMNS as readonly string[]).includes(column),
  );
  const header = [...MANIFEST_COLUMNS, ...metadataColumns];
  const lines = [header.map(csvCell).join(',')];
  for (const entry of entries) {
    const cells = [
      ...MANIFEST_COLUMNS.map((column) => entry[column]),
      ...metadataColumns.map((column) => entry.metadata[column]),
    ];
    lines.push(cells.map(csvCell).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** Writes manifest.json and manifest.csv of a run: one entry per row, in script order. */
export async function writeFinalManifests(runDir: string, entries: readonly ManifestEntry[]): Promise<void> {
  const ordered = [...entries].sort((a, b) => a.seq - b.seq);
  const json = ordered.map(({ content_hash: _hash, ...entry }) => entry);
  await writeFileAtomic(runDir, 'manifest.json', `${JSON.stringify(json, null, 2)}\n`);
  await writeFileAtomic(runDir, 'manifest.csv', manifestCsv(ordered));
}
