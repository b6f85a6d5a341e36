import { signWebhook } from './webhook-signature.js';
import type { RunEvent } from './run-event.js';

/** How long a receiver has to answer one delivery. */
export const WEBHOOK_TIMEOUT_MS = 15_000;

export type WebhookTarget = {
  readonly url: string;
  /** `TTS_NOTIFY_SECRET`; without it the delivery carries no `webhook-signature`. */
  readonly secret: string | undefined;
  readonly fetch: typeof globalThis.fetch;
  readonly now: () => number;
};

/** The webhook's body: the same bytes on every attempt (only the timestamp header and signature change). */
export function webhookBody(event: RunEvent): string {
  return JSON.stringify({ type: event.type, timestamp: event.timestamp, data: event.data });
}

/** A receiver that did not take the event: the notify job's attempt fails and is tried again later. */
export class WebhookRefusedError extends Error {
  override name = 'WebhookRefusedError' as const;
  constructor(
    message: string,
    readonly status: number | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** POSTs one event, signed as Standard Webhooks 1.0; resolves on a 2xx answer, else throws. */
export async function deliverWebhook(event: RunEvent, target: WebhookTarget): Promise<number> {
  const body = webhookBody(event);
  const timestampS = Math.floor(target.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'tts-batch',
    'webhook-id': event.id,
    'webhook-timestamp': String(timestampS),
  };
  if (target.secret !== undefined) {
    headers['webhook-signature'] = signWebhook(target.secret, event.id, timestampS, body);
  }
  let response: Response;
  try {
    response = await target.fetch(target.url, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
  } catch (error) {
    throw new WebhookRefusedError(
      `webhook ${event.type} not delivered: ${(error as Error).message}`,
      undefined,
      {
        cause: error,
      },
    );
  }
  // The answer's body is not read: drop it so that the connection is freed.
  await response.body?.cancel().catch(() => undefined);
  if (response.status < 200 || response.status >= 300) {
    throw new WebhookRefusedError(`webhook ${event.type} answered HTTP ${response.status}`, response.status);
  }
  return response.status;
}
