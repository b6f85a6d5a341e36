/** Durations in milliseconds, so that names like `30 * SECOND` read as what they are. */
export const MILLISECOND = 1;
export const SECOND = 1000 * MILLISECOND;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;

const pad2 = (value: number) => String(value).padStart(2, '0');

/**
 * A moment as every printed time shows it: local time with its UTC offset, to the second, in the
 * ISO form that `enqueue --at` reads back (`2026-12-01T07:12:00+01:00`).
 */
export function formatLocalTime(ms: number): string {
  const at = new Date(ms);
  const offsetMin = -at.getTimezoneOffset();
  const offset = `${offsetMin < 0 ? '-' : '+'}${pad2(Math.floor(Math.abs(offsetMin) / 60))}:${pad2(Math.abs(offsetMin) % 60)}`;
  const date = `${at.getFullYear()}-${pad2(at.getMonth() + 1)}-${pad2(at.getDate())}`;
  return `${date}T${pad2(at.getHours())}:${pad2(at.getMinutes())}:${pad2(at.getSeconds())}${offset}`;
}
