import type { RedisClient } from '../redis/connection.js';
import type { Logger } from '../log.js';
import { globalKeys } from '../queue/keys.js';
import type { CallKind } from '../segmind/errors.js';
import { SECOND } from '../time.js';
import type { ApiKeySource } from './api-key.js';
import { HandBack } from './row-signals.js';

/** How long a row handed back because of a halt or a refused key waits before it is tried again. */
const HALTED_HAND_BACK_MS = 5 * SECOND;

/**
 * What stops a worker's calls once the API refused its key or the fleet is halted, so that a
 * refused key costs one call per worker, not one per row in flight:
 * - a 401/403 answer marks the key refused at once, before its row handles the error, and every
 *   other row's next call hands its row back instead of leaving;
 * - a halt in Redis (set by any worker) stops every submit before it leaves;
 * - a key not yet accepted by the API (at start, after a refusal, after a new key) is tried by one
 *   call at a time, so a worker with a wrong key never has several refused calls in flight.
 * The refused key is used again only after `resume` clears the halt; a key that follows `.env`
 * is read again first, so a new key written there is what the worker goes on with.
 */
export type KeyGuard = {
  /** Runs one API call (with its retries in place); one at a time while the key is unproven. The wait for a turn ends with `signal`. */
  gate<T>(call: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** The key for a row's new client (`.env` read again first when the key follows it). */
  keyForClient(): string;
  /** Before every API call, after the fleet's request slot: throws HandBack when it must not leave. */
  beforeCall(call: Exclude<CallKind, 'download'>, clientKey: string): Promise<void>;
  /** Every answer (or its absence) of a call made with `key`. */
  onAnswer(key: string, outcome: number | 'network' | 'timeout'): void;
  /** This worker halted the fleet. */
  onHalt(): void;
  /** Whether the API refused the key in use now. */
  refusedNow(): boolean;
};

export type KeyGuardOptions = {
  readonly redis: RedisClient;
  readonly prefix: string;
  readonly keys: ApiKeySource;
  readonly logger: Logger;
};

const isRefusal = (outcome: number | 'network' | 'timeout') => outcome === 401 || outcome === 403;
const isAcceptance = (outcome: number | 'network' | 'timeout') =>
  typeof outcome === 'number' && outcome < 500 && outcome !== 429 && !isRefusal(outcome);

export function makeKeyGuard(options: KeyGuardOptions): KeyGuard {
  const { redis, keys, logger } = options;
  const haltKey = globalKeys(options.prefix).halt;
  /** Refused keys, and whether the fleet's halt has been seen since (its clearing is then a resume). */
  const refused = new Map<string, { haltSeen: boolean }>();
  let accepted = false;
  let probing = false;
  const waiting: (() => void)[] = [];

  const halted = async () => (await redis.exists(haltKey)) === 1;
  const reload = () => {
    if (!keys.reload()) return;
    accepted = false;
    logger.info({ event: 'api_key_reloaded' }, 'read a new SEGMIND_API_KEY from .env: using it from now on');
  };

  return {
    async gate(call, signal) {
      while (!accepted && probing) await turn(waiting, signal);
      if (accepted) return call();
      probing = true;
      try {
        return await call();
      } finally {
        probing = false;
        // Accepted: everyone goes; otherwise the next one probes.
        for (const wake of accepted ? waiting.splice(0) : waiting.splice(0, 1)) wake();
      }
    },
    keyForClient() {
      reload();
      return keys.current();
    },
    async beforeCall(call, clientKey) {
      reload();
      const current = keys.current();
      const refusal = refused.get(current);
      if (refusal) {
        const haltedNow = await halted();
        if (haltedNow) refusal.haltSeen = true;
        if (haltedNow || !refusal.haltSeen) {
          throw new HandBack('the API refused this worker’s key: waiting for `resume`', HALTED_HAND_BACK_MS);
        }
        // The operator resumed with this key: try it again, one call at a time.
        refused.delete(current);
        logger.warn(
          { event: 'api_key_retried' },
          'resumed with the key the API refused: trying it again (put a new key in .env, or restart the worker with it)',
        );
      }
      // A row's client made with an older key that was refused takes the current one: hand it back.
      if (clientKey !== current && refused.has(clientKey)) {
        throw new HandBack('the row’s API key was refused; the worker has a new one', 0);
      }
      if (call === 'submit' && (await halted())) {
        throw new HandBack('the fleet is halted: not submitting', HALTED_HAND_BACK_MS);
      }
    },
    onAnswer(key, outcome) {
      if (isRefusal(outcome)) {
        if (!refused.has(key)) refused.set(key, { haltSeen: false });
        if (key === keys.current()) accepted = false;
      } else if (isAcceptance(outcome) && key === keys.current()) {
        accepted = true;
      }
    },
    onHalt() {
      for (const refusal of refused.values()) refusal.haltSeen = true;
    },
    refusedNow: () => refused.has(keys.current()),
  };
}

/** Resolves when woken (a place in `waiting`), or rejects with the signal's reason. */
function turn(waiting: (() => void)[], signal: AbortSignal | undefined): Promise<void> {
  signal?.throwIfAborted();
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      const at = waiting.indexOf(wake);
      if (at >= 0) waiting.splice(at, 1);
      reject(signal?.reason as Error);
    };
    const wake = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    waiting.push(wake);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
