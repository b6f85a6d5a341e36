/** Durations in milliseconds, so that names like `30 * SECOND` read as what they are. */
export const MILLISECOND = 1;
export const SECOND = 1000 * MILLISECOND;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
