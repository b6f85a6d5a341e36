import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Queue } from 'bullmq';
import express, { type RequestHandler } from 'express';
import { UsageError } from '../errors.js';
import { readApiAnswerCounts } from '../queue/api-answer-counts.js';
import { ROWS_QUEUE } from '../queue/keys.js';
import { connectRedis, makeRedis } from '../redis/connection.js';
import type { Settings } from '../settings.js';
import { SECOND } from '../time.js';
import { readProgress, readQueueState } from '../status/run-progress.js';
import { basicAuth } from './basic-auth.js';
import { boardActionGuard } from './board-actions.js';
import { makeDashboardMetrics } from './metrics.js';
import { renderRunsPage } from './runs-page.js';
import { sameOriginOnly } from './same-origin.js';

export type DashboardOptions = {
  readonly settings: Settings;
  /** Overrides the settings' host and port; port 0 picks a free one. */
  readonly host?: string;
  readonly port?: number;
};

export type RunningDashboard = {
  /** e.g. 'http://127.0.0.1:3000' */
  readonly url: string;
  close(): Promise<void>;
};

/** Express 5 passes a rejected promise to the error handler; this keeps the handlers short. */
const handle =
  (body: (request: express.Request, response: express.Response) => Promise<void>): RequestHandler =>
  (request, response, next) => {
    body(request, response).catch(next);
  };

/**
 * The web dashboard: the runs page at `/`, bull-board at `/queues`, Prometheus at `/metrics`.
 * Basic auth covers all of it when both a user and a password are configured; a change (any
 * method but GET, HEAD, OPTIONS) must come from the dashboard's own pages, and bull-board only
 * does what BOARD_ACTIONS lists.
 */
export async function startDashboard(options: DashboardOptions): Promise<RunningDashboard> {
  const { settings } = options;
  // Half a credential pair would silently serve an open dashboard to someone who meant to lock it.
  if ((settings.dashboardUser === undefined) !== (settings.dashboardPassword === undefined)) {
    const missing = settings.dashboardUser === undefined ? 'TTS_DASHBOARD_USER' : 'TTS_DASHBOARD_PASSWORD';
    throw new UsageError(
      `Basic auth needs both TTS_DASHBOARD_USER and TTS_DASHBOARD_PASSWORD; ${missing} is not set`,
    );
  }
  const prefix = settings.queuePrefix;
  // Fail fast per request while Redis is away, but keep reconnecting: the dashboard outlives outages.
  const redis = await connectRedis(
    makeRedis(settings, 'command', { retryStrategy: (times) => Math.min(times * 250, 5 * SECOND) }),
    settings,
  );
  redis.on('error', () => {});
  const queue = new Queue(ROWS_QUEUE, { connection: redis, prefix });
  const metrics = makeDashboardMetrics();

  const board = new ExpressAdapter();
  board.setBasePath('/queues');
  // Completed rows are paid for: the UI offers no retry of them (BOARD_ACTIONS refuses it). The
  // BullMQ adapter's type omits the option its base class reads, hence the variable.
  const adapterOptions = {
    description: `prefix ${prefix} · finished rows leave the queue, so Completed stays empty: see the runs page (/)`,
    allowCompletedRetries: false,
  };
  createBullBoard({
    queues: [new BullMQAdapter(queue, adapterOptions)],
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'tts-batch' }, handlerHooks: { before: boardActionGuard } },
  });

  const app = express();
  app.disable('x-powered-by');
  if (settings.dashboardUser !== undefined && settings.dashboardPassword !== undefined) {
    app.use(basicAuth(settings.dashboardUser, settings.dashboardPassword));
  }
  app.use(sameOriginOnly());
  // What both the runs page and /metrics show: every run's progress with its failures by
  // reason, the queue's state, and the fleet's API answers.
  const readSnapshot = () =>
    Promise.all([
      readProgress({ queue, redis, prefix, withFailures: true }),
      readQueueState(queue, redis, prefix),
      readApiAnswerCounts(redis, prefix),
    ]);
  app.get(
    '/',
    handle(async (_request, response) => {
      const [runs, state, answers] = await readSnapshot();
      response.type('html').send(renderRunsPage(runs, state, ROWS_QUEUE, answers));
    }),
  );
  app.get(
    '/metrics',
    handle(async (_request, response) => {
      const [runs, state, answers] = await readSnapshot();
      metrics.update(runs, state, answers);
      response.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    }),
  );
  app.use('/queues', board.getRouter() as RequestHandler);

  const host = options.host ?? settings.dashboardHost;
  const server: Server = app.listen(options.port ?? settings.dashboardPort, host);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([error]) => Promise.reject(error as Error)),
  ]);
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await queue.close();
      redis.disconnect();
    },
  };
}
