// A worker passes its one long-lived stop signal to every request: the requests must leave nothing
// behind on it (on Node 20, AbortSignal.any() adds a WeakRef per call to the long-lived signal that
// stays until it aborts: ~3 per row, a worker's heap grew without bound over a long run).
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { makeSegmindClient } from '../src/segmind/client.js';
import { requestSignal } from '../src/segmind/request-signal.js';
import { startSimulator } from '../src/simulator/server.js';

const KEY = 'sk-request-signal-key-4242';
const ROWS = 12;

/** What a signal keeps per dependant: Node's own `kDependantSignals` set (AbortSignal.any), and abort listeners. */
function heldBy(signal: AbortSignal): { dependants: number; listeners: number } {
  const symbol = Object.getOwnPropertySymbols(signal).find((s) => s.description === 'kDependantSignals');
  // Node's internal SafeSet is not `instanceof Set`: read its size.
  const set =
    symbol === undefined
      ? undefined
      : (signal as unknown as Record<symbol, { size?: number } | undefined>)[symbol];
  return { dependants: set?.size ?? 0, listeners: getEventListeners(signal, 'abort').length };
}

test('rows made through the client with one long-lived signal leave nothing on it', async () => {
  const sim = await startSimulator({ port: 0, host: '127.0.0.1', latencyScale: 0.001, apiKey: KEY });
  const dir = await mkdtemp(join(tmpdir(), 'tts-request-signal-'));
  const stopping = new AbortController();
  try {
    const client = makeSegmindClient({
      baseUrl: sim.url,
      apiKey: KEY,
      sleep: (ms, signal) => delay(Math.min(ms, 2), undefined, signal === undefined ? {} : { signal }),
    });
    for (let row = 0; row < ROWS; row += 1) {
      const submitted = await client.submit(
        'gemini-3.1-flash-tts',
        { text: `Row ${row}: the lighthouse keeper climbed the steps.`, voice_1: 'Kore' },
        stopping.signal,
      );
      while ((await client.status(submitted, stopping.signal)).state !== 'COMPLETED') await delay(2);
      const result = await client.result(submitted, stopping.signal);
      assert.equal(result.state, 'COMPLETED');
      await client.saveAudio(result.output, { dir, name: `row-${row}` }, stopping.signal);
    }
    assert.deepEqual(heldBy(stopping.signal), { dependants: 0, listeners: 0 });
  } finally {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a request signal follows its caller and its own timeout, and lets go of the caller once disposed', async () => {
  const caller = new AbortController();
  const followed = requestSignal(caller.signal, 60_000);
  assert.equal(heldBy(caller.signal).listeners, 1);
  caller.abort(new Error('stop'));
  assert.equal(followed.signal.aborted, true);
  assert.equal((followed.signal.reason as Error).message, 'stop');
  assert.equal(followed.timedOut, false);
  followed.dispose();

  const other = new AbortController();
  const timed = requestSignal(other.signal, 5);
  // The timer is unref'd (as AbortSignal.timeout's): something else keeps the test alive meanwhile.
  for (let waited = 0; !timed.signal.aborted && waited < 1000; waited += 1) await delay(5);
  assert.equal(timed.timedOut, true);
  assert.equal((timed.signal.reason as DOMException).name, 'TimeoutError');
  timed.dispose();
  assert.deepEqual(heldBy(other.signal), { dependants: 0, listeners: 0 });

  const alone = requestSignal(undefined, 60_000);
  alone.dispose();
  assert.equal(alone.signal.aborted, false, 'disposing clears the timer without aborting');
});
