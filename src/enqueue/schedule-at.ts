import { UsageError } from '../errors.js';
import { formatLocalTime, MINUTE } from '../time.js';

const CLOCK_TIME = /^(\d{1,2}):(\d{2})$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

function usage(value: string, why: string): UsageError {
  return new UsageError(
    `Expected \`--at\` to be HH:MM (next occurrence, local time) or an ISO time like 2026-05-01T02:00, got \`${value}\`: ${why}`,
  );
}

/** The start of the minute `nowMs` is in: a time in it means now, not tomorrow or the past. */
const minuteOf = (nowMs: number) => Math.floor(nowMs / MINUTE) * MINUTE;

/**
 * When a run scheduled with `--at` may start, in ms since epoch. `HH:MM` is its next occurrence
 * in local time (tomorrow when today's has passed); an ISO time without a zone is local time.
 * A time in the current minute means now (`--at 07:12` at 07:12:12 starts at once, it does not
 * wait a day); an earlier one is refused.
 */
export function parseScheduleAt(value: string, nowMs: number): number {
  const trimmed = value.trim();
  const clock = CLOCK_TIME.exec(trimmed);
  if (clock) {
    const hours = Number(clock[1]);
    const minutes = Number(clock[2]);
    if (hours > 23 || minutes > 59) throw usage(value, 'no such time of day');
    const at = new Date(nowMs);
    at.setHours(hours, minutes, 0, 0);
    if (at.getTime() < minuteOf(nowMs)) {
      // setDate then setHours again, so that a DST change tonight still lands on HH:MM.
      at.setDate(at.getDate() + 1);
      at.setHours(hours, minutes, 0, 0);
    }
    return at.getTime();
  }
  if (!ISO_TIME.test(trimmed)) throw usage(value, 'not a time');
  const atMs = Date.parse(trimmed.replace(' ', 'T'));
  if (!Number.isFinite(atMs)) throw usage(value, 'not a valid date');
  if (atMs < minuteOf(nowMs)) throw usage(value, `it is in the past (now is ${formatLocalTime(nowMs)})`);
  return atMs;
}

/** How a schedule reads in messages: the time, and whether the jobs wait or start at once. */
export function describeSchedule(scheduledAtMs: number, nowMs: number): string {
  const at = formatLocalTime(scheduledAtMs);
  if (scheduledAtMs <= nowMs) return `${at} (now: the jobs start at once)`;
  return `${at} (in ${formatWait(scheduledAtMs - nowMs)}; the jobs wait until then)`;
}

function formatWait(ms: number): string {
  const minutes = Math.ceil(ms / MINUTE);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}
