import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SECOND } from '../time.js';
import { drawFault, makeCallCounter, type CallKind } from './faults.js';
import { errorReply, gatewayHtmlReply, readBody, RESET, send, textReply, type Reply } from './http-io.js';
import { makeLedgerStore, type Ledger } from './ledger.js';
import { resolveSimulatorOptions, type SimulatorOptions } from './options.js';
import { makeRateWindow } from './rate-window.js';
import { answerDownload, answerResult, answerStatus } from './request-routes.js';
import type { SimState } from './sim-state.js';
import { handleSubmit, submitFaultKey } from './submit.js';

export type { SimulatorOptions } from './options.js';
export type { Ledger } from './ledger.js';

export type RunningSimulator = {
  /** e.g. 'http://127.0.0.1:4010' (no trailing slash). */
  readonly url: string;
  readonly port: number;
  readonly options: Readonly<SimulatorOptions>;
  /** The same object `GET /_sim/ledger` returns. */
  ledger(): Ledger;
  /** Closes the server and all its sockets. */
  close(): Promise<void>;
};

type Route =
  | { readonly kind: 'submit'; readonly slug: string }
  | { readonly kind: 'status' | 'result'; readonly id: string }
  | { readonly kind: 'download'; readonly fileName: string }
  | { readonly kind: 'ledger' }
  | { readonly kind: 'unknown' };

function route(path: string): Route {
  if (path === '/_sim/ledger') return { kind: 'ledger' };
  let parts: string[];
  try {
    parts = path.split('/').slice(1).map(decodeURIComponent);
  } catch {
    return { kind: 'unknown' };
  }
  const [first, second, third, fourth, ...rest] = parts;
  if (rest.length > 0 || first === undefined || second === undefined || second === '')
    return { kind: 'unknown' };
  if (first === '_sim' && second === 'files' && third !== undefined && fourth === undefined) {
    return { kind: 'download', fileName: third };
  }
  if (first !== 'v2') return { kind: 'unknown' };
  if (third === undefined) return { kind: 'submit', slug: second };
  if (second !== 'requests' || third === '') return { kind: 'unknown' };
  if (fourth === undefined) return { kind: 'result', id: third };
  return fourth === 'status' ? { kind: 'status', id: third } : { kind: 'unknown' };
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const GATEWAY_REASONS = { 502: 'Bad Gateway', 504: 'Gateway Time-out' } as const;

/** Starts the Segmind v2 simulator (see shared/design/segmind-v2.md) and resolves once it listens. */
export async function startSimulator(options: Partial<SimulatorOptions> = {}): Promise<RunningSimulator> {
  const resolved = resolveSimulatorOptions(options);
  const { now, logger } = resolved;
  const ledger = makeLedgerStore(resolved.credits);
  const rateWindow = resolved.rpm === undefined ? undefined : makeRateWindow(resolved.rpm);
  const sockets = new Set<Socket>();

  /** The gate every API call passes before its seeded fault is drawn: authentication, then the rpm window. */
  function gate(request: IncomingMessage, kind: CallKind): Reply | undefined {
    const apiKey = header(request, 'x-api-key');
    if (
      apiKey === undefined ||
      apiKey === '' ||
      (resolved.apiKey !== undefined && apiKey !== resolved.apiKey)
    ) {
      ledger.counts.unauthorized += 1;
      return errorReply(401, apiKey === undefined ? 'Missing x-api-key header' : 'Invalid API key');
    }
    if (rateWindow && (kind === 'submit' || resolved.rpmCounts === 'all')) {
      const decision = rateWindow.take(apiKey, now());
      if (!decision.allowed) return rateLimited(decision.resetAtMs);
    }
    return undefined;
  }

  /** As Segmind documents: every API answer past authentication carries the account's remaining credits. */
  function withCredits(reply: Reply): Reply {
    const remainingUsd = ledger.creditsRemaining(now());
    if (reply.kind === 'reset' || remainingUsd === undefined) return reply;
    return { ...reply, headers: { ...reply.headers, 'x-remaining-credits': String(remainingUsd) } };
  }

  function rateLimited(resetAtMs: number): Reply {
    ledger.counts.r429 += 1;
    return errorReply(429, 'Rate limit exceeded', {
      'x-rate-limit-reset-at-utc': new Date(resetAtMs).toISOString(),
    });
  }

  /** The answer for a drawn fault, or undefined to go on. Resets in the 'after' phase of submits go on. */
  function faultReply(
    sim: SimState,
    kind: CallKind,
    key: string,
    n: number,
  ): Reply | 'reset-after' | undefined {
    const fault = drawFault(resolved, kind, key, n);
    switch (fault.kind) {
      case 'none':
        return undefined;
      case '429':
        return rateLimited(now() + fault.resetAfterS * SECOND);
      case '5xx': {
        ledger.counts.r5xx += 1;
        if (fault.status === 502 || fault.status === 504) {
          return gatewayHtmlReply(fault.status, GATEWAY_REASONS[fault.status]);
        }
        return errorReply(
          fault.status,
          fault.status === 503 ? 'Service temporarily unavailable' : 'Internal server error',
        );
      }
      case 'reset':
        ledger.counts.reset += 1;
        return kind === 'submit' && sim.options.resetPhase === 'after' ? 'reset-after' : RESET;
    }
  }

  async function handle(request: IncomingMessage, sim: SimState): Promise<Reply> {
    const path = new URL(request.url ?? '/', 'http://simulator').pathname;
    const target = route(path);
    const method = request.method ?? 'GET';
    const wanted = target.kind === 'submit' ? 'POST' : 'GET';
    // Drain any body first, so an early answer leaves the connection usable.
    const body = await readBody(request);
    if (target.kind === 'unknown') return errorReply(404, 'Not found');
    if (method !== wanted) return gatewayHtmlReply(405, 'Not Allowed', { allow: wanted });
    const nowMs = now();
    switch (target.kind) {
      case 'ledger':
        return {
          kind: 'answer',
          status: 200,
          contentType: 'application/json',
          body: JSON.stringify(ledger.snapshot(nowMs)),
        };
      case 'download':
        ledger.counts.download += 1;
        if (header(request, 'x-api-key') !== undefined) ledger.counts.download_with_key += 1;
        return answerDownload(sim, target.fileName, nowMs);
      case 'submit': {
        ledger.counts.submit += 1;
        const refused = gate(request, 'submit');
        if (refused) return refused;
        const contentType = header(request, 'content-type') ?? '';
        if (contentType.split(';')[0]?.trim().toLowerCase() !== 'application/json') {
          return withCredits(textReply(406, 'Content-Type must be application/json'));
        }
        if (body === undefined) return withCredits(errorReply(413, 'Request body too large'));
        const key = submitFaultKey(body);
        const n = sim.nextCall('submit', key);
        const fault = faultReply(sim, 'submit', key, n);
        if (fault !== undefined && fault !== 'reset-after') return withCredits(fault);
        return withCredits(
          handleSubmit(sim, {
            slug: target.slug,
            body,
            key,
            n,
            resetAfterCreate: fault === 'reset-after',
          }),
        );
      }
      case 'status':
      case 'result': {
        ledger.counts[target.kind] += 1;
        const refused = gate(request, target.kind);
        if (refused) return refused;
        const known = ledger.get(target.id);
        if (known && target.kind === 'status') known.statusCalls += 1;
        if (known && target.kind === 'result') known.resultCalls += 1;
        const fault = faultReply(sim, target.kind, target.id, sim.nextCall(target.kind, target.id));
        if (fault !== undefined) return fault === 'reset-after' ? RESET : withCredits(fault);
        return withCredits(
          target.kind === 'status'
            ? answerStatus(sim, target.id, now())
            : await answerResult(sim, target.id, now()),
        );
      }
    }
  }

  function onRequest(sim: SimState, request: IncomingMessage, response: ServerResponse): void {
    const startedMs = now();
    handle(request, sim)
      .catch((error: unknown) => {
        logger?.error({ err: error }, 'simulator handler failed');
        return errorReply(500, 'Internal server error');
      })
      .then((reply) => {
        send(response, reply);
        logger?.debug(
          {
            method: request.method,
            url: request.url,
            status: reply.kind === 'reset' ? 'reset' : reply.status,
            ms: now() - startedMs,
          },
          'simulator request',
        );
      })
      .catch((error: unknown) => logger?.error({ err: error }, 'simulator reply failed'));
  }

  const server = createServer();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(resolved.port, resolved.host);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([error]) => Promise.reject(error as Error)),
  ]);
  const { port } = server.address() as AddressInfo;
  const host = resolved.host === '0.0.0.0' || resolved.host === '::' ? '127.0.0.1' : resolved.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const finalOptions = { ...resolved, port };
  // Handlers need the final URL, known only once listening; no request can arrive before this line runs.
  const state: SimState = { options: finalOptions, baseUrl: url, ledger, nextCall: makeCallCounter() };
  server.on('request', (request: IncomingMessage, response: ServerResponse) =>
    onRequest(state, request, response),
  );

  return {
    url,
    port,
    options: finalOptions,
    ledger: () => ledger.snapshot(now()),
    async close() {
      if (!server.listening) return;
      const closed = once(server, 'close');
      server.close();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
