import { showValue, type Problem } from './problems.js';
import { KNOWN_FIELDS, type KnownField } from './script-row.js';

/** The name as a typo would still match it: case, `_`, `-`, `.` and spaces ignored. */
const normalized = (name: string) => name.toLowerCase().replace(/[\s_.-]+/g, '');

/** Edit distance with adjacent transpositions (optimal string alignment): `modle` is 1 from `model`. */
export function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, (before[j - 2] ?? 0) + 1);
      current.push(best);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** Typos allowed for a field: none in `id`, one in `text` and `model`, two in longer names. */
const allowedEdits = (field: string) => (field.length <= 3 ? 0 : field.length <= 5 ? 1 : 2);

/**
 * The field a column name is a near miss of (`voice1`, `Voice_1`, `temprature`, `temp`), or
 * undefined when it is a field itself or clearly something else (`chapter`, `title`).
 */
export function nearMissOf(column: string): KnownField | undefined {
  if ((KNOWN_FIELDS as readonly string[]).includes(column)) return undefined;
  const name = normalized(column);
  let nearest: { field: KnownField; distance: number } | undefined;
  for (const field of KNOWN_FIELDS) {
    const target = normalized(field);
    const distance = name.length >= 4 && target.startsWith(name) ? 0 : editDistance(name, target);
    if (distance <= allowedEdits(target) && (nearest === undefined || distance < nearest.distance))
      nearest = { field, distance };
  }
  return nearest?.field;
}

/** Columns of a script that are not fields, with the line where each was first seen. */
export type ColumnSurvey = {
  readonly note: (name: string, line: number) => void;
  /** Columns carried as metadata, in the order first seen. */
  readonly metadata: () => readonly string[];
  /** Near misses of a field not declared as metadata: refused, with a suggestion. */
  readonly problems: () => readonly Problem[];
};

/** A name as a shell word: quoted unless it is plain. */
const shellWord = (name: string) => (/^[\w.,-]+$/.test(name) ? name : `'${name.replaceAll("'", "'\\''")}'`);

/** Distinct column names kept: a hostile JSONL with a new key per row stays bounded. */
const MAX_COLUMNS = 1000;

/** Surveys the columns of a script; `declared` are the columns the user said are metadata. */
export function makeColumnSurvey(declared: ReadonlySet<string>): ColumnSurvey {
  const firstLine = new Map<string, number>();
  const known: ReadonlySet<string> = new Set(KNOWN_FIELDS);
  const suspect = (name: string) => !declared.has(name) && nearMissOf(name) !== undefined;
  return {
    note(name, line) {
      if (known.has(name) || firstLine.has(name) || firstLine.size >= MAX_COLUMNS) return;
      firstLine.set(name, line);
    },
    metadata: () => [...firstLine.keys()].filter((name) => !suspect(name)),
    problems: () =>
      [...firstLine].flatMap(([name, line]) => {
        const field = nearMissOf(name);
        if (field === undefined || declared.has(name)) return [];
        return [
          {
            line,
            field: name,
            message: `unknown column ${showValue(name)}; did you mean \`${field}\`? (if it is metadata, pass --metadata ${shellWord(name)})`,
          },
        ];
      }),
  };
}
