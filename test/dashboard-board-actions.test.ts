import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appRoutes } from '@bull-board/api/dist/routes.js';
import { BOARD_ACTIONS, isBoardActionAllowed } from '../src/dashboard/board-actions.js';
import { isSameOrigin } from '../src/dashboard/same-origin.js';

test('bull-board routes served besides GETs: retry, promote, clean; every other one is refused', () => {
  const routes = appRoutes.api.map(({ method, route }) => ({
    method: Array.isArray(method) ? method[0] : method,
    route: Array.isArray(route) ? route[0] : route,
  }));
  const changes = routes.filter(({ method }) => method !== 'get');
  const listed = (method: string | undefined, route: string | undefined) =>
    BOARD_ACTIONS.some((action) => action.method === method && action.route === route);
  assert.deepEqual(
    changes
      .filter(({ method, route }) => listed(method, route))
      .map(({ method, route }) => `${method} ${route}`),
    [
      'put /api/queues/:queueName/retry/:queueStatus',
      'put /api/queues/:queueName/promote',
      'put /api/queues/:queueName/clean/:queueStatus',
      'put /api/queues/:queueName/:jobId/retry',
      'put /api/queues/:queueName/:jobId/clean',
      'put /api/queues/:queueName/:jobId/promote',
    ],
  );
  assert.equal(BOARD_ACTIONS.length, 6, 'every listed action is a route of this bull-board version');
  const anyParams = { queueName: 'rows', jobId: 'x', queueStatus: 'failed', schedulerId: 'x' };
  for (const { method, route } of changes) {
    if (method && route && !listed(method, route)) {
      assert.equal(isBoardActionAllowed(method, route, anyParams), false, `${method} ${route}`);
    }
  }
  const retryAll = '/api/queues/:queueName/retry/:queueStatus';
  const cleanAll = '/api/queues/:queueName/clean/:queueStatus';
  assert.equal(isBoardActionAllowed('put', retryAll, { queueStatus: 'failed' }), true);
  assert.equal(isBoardActionAllowed('put', retryAll, { queueStatus: 'completed' }), false);
  assert.equal(isBoardActionAllowed('put', cleanAll, { queueStatus: 'completed' }), true);
  assert.equal(isBoardActionAllowed('put', cleanAll, { queueStatus: 'wait' }), false);
  assert.equal(isBoardActionAllowed('get', '/api/queues', {}), true);
});

test('same origin: Sec-Fetch-Site decides when sent; else Origin, else Referer, must name the Host', () => {
  const host = '127.0.0.1:3000';
  const cases: [Record<string, string>, boolean][] = [
    [{ host, 'sec-fetch-site': 'same-origin' }, true],
    [{ host, 'sec-fetch-site': 'none' }, true],
    [{ host, 'sec-fetch-site': 'same-site', origin: 'http://127.0.0.1:3000' }, false],
    [{ host, 'sec-fetch-site': 'cross-site', origin: 'http://127.0.0.1:3000' }, false],
    [{ host, origin: 'http://127.0.0.1:3000' }, true],
    [{ host, origin: 'https://127.0.0.1:3000' }, true],
    [{ host: 'Dash.Example', origin: 'https://dash.example' }, true],
    [{ host, origin: 'http://127.0.0.1:3001' }, false],
    [{ host, origin: 'http://evil.example' }, false],
    [{ host, origin: 'null' }, false],
    [{ host, origin: 'not a url' }, false],
    [{ host, referer: 'http://127.0.0.1:3000/queues/' }, true],
    [{ host, referer: 'http://evil.example/?http://127.0.0.1:3000/' }, false],
    [{ host, origin: 'http://evil.example', referer: 'http://127.0.0.1:3000/' }, false],
    [{ host }, false],
    [{ origin: 'http://127.0.0.1:3000' }, false],
  ];
  for (const [headers, expected] of cases)
    assert.equal(isSameOrigin(headers), expected, JSON.stringify(headers));
});
