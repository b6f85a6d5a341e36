import { UsageError } from '../errors.js';
import { KNOWN_FIELDS } from '../script/script-row.js';

/**
 * The columns `--metadata COL[,COL]` (repeatable) declares metadata: carried to the manifest
 * even when the name is a near miss of a field (`voice1`). A field's own name is refused.
 */
export function parseMetadataFlag(values: readonly string[] | undefined): ReadonlySet<string> {
  const names = (values ?? []).flatMap((value) => value.split(',')).map((name) => name.trim());
  for (const name of names) {
    if (name === '')
      throw new UsageError('Expected `--metadata` to name columns (COL[,COL...]), got an empty name');
    if ((KNOWN_FIELDS as readonly string[]).includes(name)) {
      throw new UsageError(
        `Expected \`--metadata\` to name columns that are not fields (${KNOWN_FIELDS.join(', ')}), got \`${name}\``,
      );
    }
  }
  return new Set(names);
}
