/** The rule for row ids and run names: safe as a file name and in a BullMQ job id. */
const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

export const NAME_RULE = '1-128 of A-Z a-z 0-9 . _ -, not starting with `.`';

export function isSafeName(value: string): boolean {
  return SAFE_NAME.test(value);
}

/** The default id of a row: its 1-based number, zero-padded to the width of the record count. */
export function defaultRowId(seq: number, recordCount: number): string {
  return String(seq + 1).padStart(String(recordCount).length, '0');
}

/**
 * The id a record claims, read without validating the rest of it (a CSV cell or a JSON string
 * or number, trimmed), when it is a valid id: an invalid row still holds its id, so that a later
 * row reusing it is reported as a duplicate now, not after the first is fixed.
 */
export function claimedRowId(value: unknown): string | undefined {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== 'string') return undefined;
  const trimmed = text.trim();
  return isSafeName(trimmed) ? trimmed : undefined;
}
