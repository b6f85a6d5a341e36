import { MODEL_SLUGS, MODELS, type ModelSlug } from '../segmind/models.js';
import { MAX_PRINTED_PROBLEMS, ScriptError, type Problem } from '../script/problems.js';
import { readScript, scriptFormat } from '../script/read-script.js';
import { makeColumnSurvey } from '../script/column-names.js';
import { makeIdTable, type IdTable } from '../script/id-table.js';
import { claimedRowId, defaultRowId } from '../script/row-id.js';
import { makeRowIndex, type RowIndex } from '../script/row-index.js';
import type { RawRecord } from '../script/script-row.js';
import { validateRecord, type ValidationContext } from '../script/validate-row.js';
import { DEFAULT_CHUNK_CHARS } from '../book/chunk-limits.js';
import { contentHash } from './content-hash.js';
import { splitRowText } from './split-row.js';
import type { RowSpool } from './row-spool.js';

/** Pass 1 over a script: every row validated, and what enqueueing needs kept without the texts. */
export type ScriptScan = {
  readonly file: string;
  /** Records in the script, valid or not. */
  readonly records: number;
  readonly validRows: number;
  /** Characters of the valid rows' texts. */
  readonly chars: number;
  readonly rowsByModel: Readonly<Record<ModelSlug, number>>;
  /** Requests the valid rows make by model: one per row, one per part for a row sent in parts. */
  readonly requestsByModel: Readonly<Record<ModelSlug, number>>;
  /** The first MAX_PRINTED_PROBLEMS problems; `problemCount` counts them all. */
  readonly problems: readonly Problem[];
  readonly problemCount: number;
  /** Invalid rows (a row may have several problems). */
  readonly invalidRows: number;
  readonly warnings: readonly Problem[];
  /** Columns that are not fields, carried to the manifest as metadata, in the order first seen. */
  readonly metadataColumns: readonly string[];
  /**
   * Columns whose name is a near miss of a field (`voice1`) and not declared metadata: the
   * script is refused whole (a typo would silently use the default voice for every row).
   */
  readonly columnProblems: readonly Problem[];
  readonly index: RowIndex;
  /** Row id -> seq, for the valid rows. */
  readonly ids: Pick<IdTable, 'get'>;
};

export type ScanProgress = (rowsRead: number, bytesRead: number) => void;

export async function scanScript(
  file: string,
  context: ValidationContext,
  onProgress: ScanProgress = () => {},
  /** Where validated rows go for pass 2 (not needed by a dry run). */
  spool?: RowSpool,
): Promise<ScriptScan> {
  const index = makeRowIndex();
  const ids = makeIdTable(index.id);
  const defaultSeqs: number[] = [];
  const problems: Problem[] = [];
  let problemCount = 0;
  const addProblems = (found: readonly Problem[]) => {
    problemCount += found.length;
    problems.push(...found.slice(0, Math.max(0, MAX_PRINTED_PROBLEMS - problems.length)));
  };
  const columns = makeColumnSurvey(context.metadataColumns ?? new Set());
  // A CSV's columns are named on its header line; a JSONL row names its own.
  const headerLine = scriptFormat(file) === 'csv' ? 1 : undefined;
  const undocumented = new Map<string, { line: number; model: ModelSlug; voice: string; rows: number }>();
  /** Rows sent in parts: their requests beyond the first, by seq. */
  const extraParts = new Map<number, number>();
  const chunkChars = context.chunkChars ?? DEFAULT_CHUNK_CHARS;
  let bytesRead = 0;

  /** Takes `id` for this record; false (with the problem listed) when an earlier row has it. */
  const claim = (id: string, seq: number, line: number): boolean => {
    const first = ids.get(id);
    if (first === undefined) {
      ids.add(id, seq);
      return true;
    }
    addProblems([{ line, field: 'id', message: `\`${id}\` is already the id of line ${index.line(first)}` }]);
    return false;
  };

  const take = (record: RawRecord) => {
    for (const name of record.fields.keys()) columns.note(name, headerLine ?? record.line);
    const result = validateRecord(record, context);
    if (!result.ok) {
      addProblems(result.problems);
      const id = claimedRowId(record.fields.get('id'));
      if (id !== undefined) claim(id, record.seq, record.line);
      index.push({ line: record.line, id, contentHash: undefined, chars: 0, model: undefined });
    } else {
      const { row } = result;
      spool?.write(row);
      const parts = splitRowText(row.request.text, chunkChars)?.length ?? 1;
      if (parts > 1) extraParts.set(row.seq, parts - 1);
      let valid = true;
      if (row.id === undefined) defaultSeqs.push(row.seq);
      else valid = claim(row.id, row.seq, row.line);
      index.push({
        line: row.line,
        id: row.id,
        contentHash: valid ? contentHash(row.request) : undefined,
        chars: row.chars,
        model: valid ? row.request.model : undefined,
      });
      for (const warning of result.warnings) {
        const key = `${warning.model} ${warning.voice}`;
        const seen = undocumented.get(key);
        if (seen) seen.rows += 1;
        else undocumented.set(key, { ...warning, rows: 1 });
      }
    }
  };

  try {
    const read = readScript(file, (bytes) => (bytesRead = bytes), { chunkChars: context.chunkChars });
    for await (const batch of read) {
      for (const record of batch) take(record);
      await spool?.drained();
      onProgress(index.count(), bytesRead);
    }
  } catch (error) {
    if (error instanceof ScriptError) {
      addProblems(error.problems);
      throw new ScriptError(file, problems, problemCount - problems.length);
    }
    throw error;
  }

  const records = index.count();
  onProgress(records, bytesRead);
  for (const seq of defaultSeqs) {
    const id = defaultRowId(seq, records);
    const other = ids.get(id);
    if (other === undefined) ids.add(id, seq);
    else {
      index.invalidate(seq);
      addProblems([
        {
          line: index.line(seq),
          field: 'id',
          message: `the default id \`${id}\` is already the id of line ${index.line(other)}`,
        },
      ]);
    }
  }

  const rowsByModel = Object.fromEntries(MODEL_SLUGS.map((slug) => [slug, 0])) as Record<ModelSlug, number>;
  const requestsByModel = { ...rowsByModel };
  let validRows = 0;
  let chars = 0;
  for (let seq = 0; seq < records; seq += 1) {
    const model = index.model(seq);
    if (model === undefined) continue;
    validRows += 1;
    chars += index.chars(seq);
    rowsByModel[model] += 1;
    requestsByModel[model] += 1 + (extraParts.get(seq) ?? 0);
  }
  const warnings = [...undocumented.values()].map(({ line, model, voice, rows }) => ({
    line,
    field: 'voice',
    message: `\`${voice}\` is not among the voices Segmind documents for ${model} (${MODELS[model].documentedVoices.join(', ')}); accepted, but the API may refuse it (${rows} row${rows === 1 ? '' : 's'})`,
  }));
  return {
    file,
    records,
    validRows,
    chars,
    rowsByModel,
    requestsByModel,
    problems,
    problemCount,
    invalidRows: records - validRows,
    warnings,
    metadataColumns: columns.metadata(),
    columnProblems: columns.problems(),
    index,
    ids,
  };
}
