import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What the duplicate check needs of a manifest.jsonl line. */
export type LineKey = { readonly id: string; readonly content_hash: string; readonly status: string };

/** manifest.jsonl's lines (a line cut short is kept as an unreadable one: it is a problem too). */
export async function readManifestLines(outDir: string): Promise<{ lines: LineKey[]; unreadable: number }> {
  const text = await readFile(join(outDir, 'manifest.jsonl'), 'utf8').catch(() => '');
  const lines: LineKey[] = [];
  let unreadable = 0;
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    try {
      const line = JSON.parse(raw) as Partial<Record<keyof LineKey, unknown>>;
      lines.push({
        id: String(line.id),
        content_hash: String(line.content_hash),
        status: String(line.status),
      });
    } catch {
      unreadable += 1;
    }
  }
  return { lines, unreadable };
}

/**
 * The rows whose outcome has more than one line (same id and content hash): each outcome is
 * recorded once and only its recorder appends the line, so a second line means the row was
 * recorded twice. Returned as `id: n lines (statuses)`.
 */
export function duplicateLines(lines: readonly LineKey[], failuresForgotten = false): string[] {
  const byOutcome = new Map<string, LineKey[]>();
  for (const line of lines) {
    const key = `${line.id}\u0000${line.content_hash}`;
    byOutcome.set(key, [...(byOutcome.get(key) ?? []), line]);
  }
  return (
    [...byOutcome.values()]
      .filter((same) => same.length > 1)
      // After Redis forgot a failure, the row is tried again: only lines after a completed one repeat it.
      .filter((same) => !failuresForgotten || same.slice(0, -1).some((line) => line.status === 'completed'))
      .map((same) => `${same[0]?.id ?? '?'}: ${same.length} lines (${same.map((l) => l.status).join(', ')})`)
  );
}
