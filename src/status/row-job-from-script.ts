import { contentHash } from '../enqueue/content-hash.js';
import { rowJobEntry, type RowJobEntry } from '../enqueue/add-jobs.js';
import type { RowDefaults, RunMeta } from '../queue/run-meta.js';
import { readScript } from '../script/read-script.js';
import { defaultRowId } from '../script/row-id.js';
import type { ScriptRow } from '../script/script-row.js';
import { validateRecord } from '../script/validate-row.js';

/**
 * The job of one row of a run, made again from the run's script as enqueue made it (a finished
 * row's job is removed from Redis): the same row id and content hash, or undefined when the
 * script no longer holds that version of the row (edited, moved, deleted).
 */
export async function rowJobFromScript(
  meta: RunMeta,
  id: string,
  hash: string,
  settings: { readonly maxChars: number; readonly chunkChars: number },
): Promise<RowJobEntry | undefined> {
  const defaults = JSON.parse(meta.options) as RowDefaults;
  const unnamed: ScriptRow[] = [];
  let records = 0;
  let found: ScriptRow | undefined;
  for await (const batch of readScript(meta.script, undefined, { chunkChars: settings.chunkChars })) {
    for (const record of batch) {
      records += 1;
      // Its columns were accepted at enqueue (near misses declared with --metadata, or the row would not be in the run).
      const metadataColumns = new Set(record.fields.keys());
      const result = validateRecord(record, {
        defaults,
        maxChars: settings.maxChars,
        chunkChars: settings.chunkChars,
        metadataColumns,
      });
      if (!result.ok) continue;
      if (result.row.id === id) found ??= result.row;
      else if (result.row.id === undefined) unnamed.push(result.row);
    }
  }
  found ??= unnamed.find((row) => defaultRowId(row.seq, records) === id);
  if (found === undefined || contentHash(found.request) !== hash) return undefined;
  return rowJobEntry(meta.name, meta.outDir, found, id, hash, settings.chunkChars);
}
