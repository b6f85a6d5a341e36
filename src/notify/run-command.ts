import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { RunEvent } from './run-event.js';
import { webhookBody } from './deliver-webhook.js';

/** How long `TTS_NOTIFY_CMD` may run before it is killed (and tried again later). */
export const COMMAND_TIMEOUT_MS = 60_000;

/** Variables never passed on to the command: it needs the facts, not the product's secrets. */
const WITHHELD = ['SEGMIND_API_KEY', 'TTS_NOTIFY_SECRET', 'TTS_DASHBOARD_PASSWORD', 'REDIS_URL'] as const;

/** The facts of an event as `TTS_*` variables (the whole body as JSON in `TTS_EVENT_JSON`). */
export function eventEnvironment(event: RunEvent): Record<string, string> {
  const { data } = event;
  return {
    TTS_EVENT_ID: event.id,
    TTS_EVENT_TYPE: event.type,
    TTS_EVENT_TIMESTAMP: event.timestamp,
    TTS_EVENT_JSON: webhookBody(event),
    TTS_RUN: data.run,
    TTS_ROWS: String(data.rows),
    TTS_COMPLETED: String(data.completed),
    TTS_FAILED: String(data.failed),
    TTS_PENDING: String(data.pending),
    TTS_COST_USD: String(data.cost_usd),
    TTS_AUDIO_SECONDS: String(data.audio_seconds),
    TTS_CALLS: String(data.calls),
    TTS_RUN_DIR: data.out_dir,
    TTS_MANIFEST_JSON: data.outputs.manifest_json,
    TTS_MANIFEST_CSV: data.outputs.manifest_csv,
    TTS_MANIFEST_JSONL: data.outputs.manifest_jsonl,
    TTS_REPORT_HTML: data.outputs.report_html,
    TTS_REASON: data.reason ?? '',
    TTS_NEEDS_REVIEW: String(data.needs_review?.count ?? 0),
  };
}

export class CommandFailedError extends Error {
  override name = 'CommandFailedError' as const;
}

/** Runs `command` with `/bin/sh -c`, the event's facts added to `baseEnv`; resolves when it exits 0. */
export async function runNotifyCommand(
  command: string,
  event: RunEvent,
  baseEnv: Readonly<Record<string, string | undefined>>,
): Promise<void> {
  const env: Record<string, string | undefined> = { ...baseEnv, ...eventEnvironment(event) };
  for (const name of WITHHELD) delete env[name];
  const child = spawn('/bin/sh', ['-c', command], {
    env,
    stdio: 'ignore',
    timeout: COMMAND_TIMEOUT_MS,
  });
  const [code, signal] = (await Promise.race([
    once(child, 'exit'),
    once(child, 'error').then(([error]) => Promise.reject(error as Error)),
  ])) as [number | null, NodeJS.Signals | null];
  if (code !== 0) {
    throw new CommandFailedError(
      `TTS_NOTIFY_CMD for ${event.type} ${signal === null ? `exited ${code}` : `was killed (${signal})`}`,
    );
  }
}
