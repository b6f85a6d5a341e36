import type { RedisClient } from '../redis/connection.js';
import { UsageError } from '../errors.js';
import { formatLocalTime } from '../time.js';
import { runKeys } from './keys.js';

/** A daily window in local time (`TZ` respected) when a run's rows may start: `22:00-07:00`. */
export type RunWindow = { readonly start: number; readonly end: number; readonly text: string };

const WINDOW = /^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$/;

/** `HH:MM-HH:MM` (across midnight when the end comes first); `none` is no window. */
export function parseWindow(value: string): RunWindow | undefined {
  const text = value.trim();
  if (text === 'none') return undefined;
  const match = WINDOW.exec(text);
  const [h1, m1, h2, m2] = (match?.slice(1) ?? []).map(Number);
  const ok = (h: number | undefined, m: number | undefined) =>
    h !== undefined && m !== undefined && h < 24 && m < 60;
  if (!match || !ok(h1, m1) || !ok(h2, m2)) {
    throw new UsageError(
      `Expected \`--window\` to be HH:MM-HH:MM in local time (e.g. 22:00-07:00, across midnight) or none, got \`${value}\``,
    );
  }
  const start = (h1 ?? 0) * 60 + (m1 ?? 0);
  const end = (h2 ?? 0) * 60 + (m2 ?? 0);
  if (start === end)
    throw new UsageError(`Expected \`--window\` to start and end at different times, got \`${value}\``);
  const pad = (n: number) => String(n).padStart(2, '0');
  return {
    start,
    end,
    text: `${pad(Math.floor(start / 60))}:${pad(start % 60)}-${pad(Math.floor(end / 60))}:${pad(end % 60)}`,
  };
}

/** Whether the window is open at `nowMs`, and when it next opens or closes (ms since epoch, local time). */
export function windowState(
  window: RunWindow,
  nowMs: number,
): { readonly open: boolean; readonly changesAt: number } {
  const now = new Date(nowMs);
  const minute = now.getHours() * 60 + now.getMinutes();
  const inside =
    window.start < window.end
      ? minute >= window.start && minute < window.end
      : minute >= window.start || minute < window.end;
  const target = inside ? window.end : window.start;
  // The next local time of day `target`, DST included: built from the date, not by adding ms.
  const next = new Date(
    now.getFullYear(),
    now.getMonth(),
    now.getDate(),
    Math.floor(target / 60),
    target % 60,
  );
  if (next.getTime() <= nowMs) next.setDate(next.getDate() + 1);
  return { open: inside, changesAt: next.getTime() };
}

/** `window: 22:00-07:00 (local time): closed; rows start at <time>` — for the dry run and status. */
export function describeWindow(window: RunWindow, nowMs: number): string {
  const state = windowState(window, nowMs);
  const at = formatLocalTime(state.changesAt);
  return state.open
    ? `window: ${window.text} (local time): open until ${at}`
    : `window: ${window.text} (local time): closed; rows start at ${at}`;
}

/** The field of the run's meta hash that holds its window (`HH:MM-HH:MM`; absent: none). */
const WINDOW_FIELD = 'window';

export type WindowStore = {
  read(run: string): Promise<RunWindow | undefined>;
  /** `null`: remove; undefined: leave as it is. */
  set(run: string, window: RunWindow | null | undefined): Promise<void>;
};

export function makeWindowStore(redis: RedisClient, prefix: string): WindowStore {
  return {
    async read(run) {
      const text = await redis.hget(runKeys(prefix, run).meta, WINDOW_FIELD);
      return text ? parseWindow(text) : undefined;
    },
    async set(run, window) {
      if (window === undefined) return;
      const key = runKeys(prefix, run).meta;
      if (window === null) await redis.hdel(key, WINDOW_FIELD);
      else await redis.hset(key, WINDOW_FIELD, window.text);
    },
  };
}
