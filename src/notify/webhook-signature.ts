import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks 1.0 signatures: `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`. The
 * key is the base64 after `whsec_` in a secret of that form, else the secret's UTF-8 bytes.
 */
export function webhookKey(secret: string): Buffer {
  if (secret.startsWith('whsec_')) {
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    if (key.length > 0) return key;
  }
  return Buffer.from(secret, 'utf8');
}

/** The `webhook-signature` value of one message. `timestampS` is Unix seconds, as in `webhook-timestamp`. */
export function signWebhook(secret: string, id: string, timestampS: number, body: string): string {
  const digest = createHmac('sha256', webhookKey(secret))
    .update(`${id}.${timestampS}.${body}`)
    .digest('base64');
  return `v1,${digest}`;
}

export type WebhookHeaders = {
  readonly 'webhook-id'?: string | undefined;
  readonly 'webhook-timestamp'?: string | undefined;
  readonly 'webhook-signature'?: string | undefined;
};

/**
 * What a receiver checks: one of the space-separated `v1,` signatures matches (in constant time),
 * and the timestamp is within `toleranceS` of `nowS` (replays of old messages are refused).
 */
export function verifyWebhook(
  secret: string,
  headers: WebhookHeaders,
  body: string,
  nowS: number,
  toleranceS = 300,
): boolean {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (id === undefined || timestamp === undefined || signatures === undefined) return false;
  const timestampS = Number(timestamp);
  if (!/^\d+$/.test(timestamp) || Math.abs(nowS - timestampS) > toleranceS) return false;
  const expected = Buffer.from(signWebhook(secret, id, timestampS, body));
  return signatures.split(' ').some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
