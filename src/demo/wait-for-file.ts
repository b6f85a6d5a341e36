import { access } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

export type WaitForFileOptions = {
  readonly signal: AbortSignal;
  /** Gives up after this long: the file's writer may never come. */
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  readonly nowMs?: () => number;
};

/** Resolves true once `path` exists, false when `signal` fires or `timeoutMs` passes first. */
export async function waitForFile(path: string, options: WaitForFileOptions): Promise<boolean> {
  const nowMs = options.nowMs ?? Date.now;
  const deadline = nowMs() + options.timeoutMs;
  for (;;) {
    const exists = await access(path).then(
      () => true,
      () => false,
    );
    if (exists) return true;
    if (options.signal.aborted || nowMs() >= deadline) return false;
    await delay(options.intervalMs ?? 200, undefined, { signal: options.signal }).catch(() => undefined);
  }
}
