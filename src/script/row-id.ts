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
