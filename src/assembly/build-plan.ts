import type { ScriptScan } from '../enqueue/scan-script.js';
import type { MasterProfile } from '../master/acx-spec.js';
import type { RowSpool } from '../enqueue/row-spool.js';
import { scriptFormat } from '../script/read-script.js';
import type { AssemblyPauses } from './assembly-settings.js';
import { readBookTags } from './book-tags.js';
import { chapterFileName, groupChapters, type ChapterPlan, type GroupableRow } from './chapter-plan.js';

export type PlanInput = {
  readonly run: string;
  readonly outDir: string;
  readonly scan: ScriptScan;
  readonly spool: RowSpool;
  readonly pauses: AssemblyPauses;
  /** `--chapters`: group a CSV/JSONL script's rows by their `chapter` column (books always are). */
  readonly chapters: boolean;
  /** `--master acx`: master the chapters too. */
  readonly master?: MasterProfile | undefined;
};

const SPOOL_BATCH_ROWS = 1000;

/** The run's chapter plan from the validated rows, or undefined when the run has no chapters. */
export async function buildChapterPlan(input: PlanInput): Promise<ChapterPlan | undefined> {
  const format = scriptFormat(input.scan.file);
  if (format !== 'book' && !input.chapters) return undefined;
  const rows: GroupableRow[] = [];
  for await (const batch of input.spool.read(SPOOL_BATCH_ROWS)) {
    for (const row of batch) {
      const id = input.scan.index.id(row.seq);
      if (id === undefined || !input.scan.index.isValid(row.seq)) continue;
      rows.push({ id, text: row.request.text, meta: row.meta });
    }
  }
  const groups = groupChapters(rows);
  if (groups.length === 0) return undefined;
  const tags = await readBookTags(input.scan.file, format, input.outDir);
  return {
    version: 1,
    run: input.run,
    title: tags.title ?? input.run,
    author: tags.author ?? null,
    cover: tags.cover ?? null,
    pauses: input.pauses,
    master: input.master ?? null,
    chapters: groups.map((group, at) => ({
      index: at + 1,
      title: group.title,
      file: chapterFileName(at + 1, groups.length, group.title),
      rows: group.rows,
    })),
  };
}
