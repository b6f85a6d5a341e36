/**
 * `text` parsed as a JSON object (not an array), or undefined when it is absent, not JSON, or
 * another kind of value: for records read back from Redis or disk that anyone could have edited.
 */
export function parseJsonObject(text: string | null | undefined): Record<string, unknown> | undefined {
  if (text === null || text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return value as Record<string, unknown>;
}
