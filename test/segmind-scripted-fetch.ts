// A scripted fetch for the Segmind client's unit tests (not a test file itself).
import { makeSegmindClient, type CallKind, type SegmindClientOptions } from '../src/segmind/client.js';

export const BASE = 'https://api.segmind.test';
export const API_KEY = 'sk-client-test-SECRET-4242';
export const REQUEST = {
  requestId: 'req-1',
  statusUrl: `${BASE}/v2/requests/req-1/status`,
  responseUrl: `${BASE}/v2/requests/req-1`,
};

export type Step = Response | Error | 'hang';
type Sent = { url: string; method: string; headers: Headers; body: string | undefined };

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

export function connectError(code: string, syscall: string): TypeError {
  return new TypeError('fetch failed', {
    cause: Object.assign(new Error(`${syscall} ${code}`), { code, syscall }),
  });
}

/** A client over a scripted fetch; records requests, sleeps and hook calls, never waits. */
export function scripted(steps: Step[], extra: Partial<SegmindClientOptions> = {}) {
  const sent: Sent[] = [];
  const sleeps: number[] = [];
  const budget: CallKind[] = [];
  const rateLimited: [number, CallKind][] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const step = steps.shift();
    sent.push({
      url: input instanceof Request ? input.url : input.toString(),
      method: init?.method ?? 'GET',
      headers: new Headers(init?.headers),
      body: typeof init?.body === 'string' ? init.body : undefined,
    });
    if (step === undefined) throw new Error('script exhausted');
    if (step === 'hang') {
      // AbortSignal.timeout is unref'd: a real socket keeps the process alive, so this stands in for it.
      const keepAlive = setInterval(() => undefined, 1000);
      return new Promise<Response>((_, reject) => {
        init?.signal?.addEventListener(
          'abort',
          () => {
            clearInterval(keepAlive);
            reject(init.signal?.reason as Error);
          },
          { once: true },
        );
      });
    }
    if (step instanceof Error) throw step;
    return Promise.resolve(step);
  };
  const client = makeSegmindClient({
    baseUrl: BASE,
    apiKey: API_KEY,
    fetch,
    random: () => 0,
    sleep: async (ms) => {
      sleeps.push(ms);
      await Promise.resolve();
    },
    beforeRequest: async (call) => {
      budget.push(call);
      await Promise.resolve();
    },
    onRateLimited: (waitMs, call) => {
      rateLimited.push([waitMs, call]);
    },
    ...extra,
  });
  return { client, sent, sleeps, budget, rateLimited };
}

export const submitOk = (): Response =>
  json(200, {
    request_id: 'req-1',
    status: 'QUEUED',
    poll_url: `${BASE}/v2/requests/req-1/status`,
    status_url: REQUEST.statusUrl,
    response_url: REQUEST.responseUrl,
  });
