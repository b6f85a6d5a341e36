import type { RedisClient } from './connection.js';

/** A Lua script of the product: sent once per connection, then run by its SHA (EVALSHA). */
export type LuaScript = {
  /** The command name it is registered under on a connection (`ttsRecordOutcome`, ...). */
  readonly name: string;
  readonly numberOfKeys: number;
  readonly lua: string;
};

export function luaScript(name: string, numberOfKeys: number, lua: string): LuaScript {
  if (!/^tts[A-Z][A-Za-z]+$/.test(name))
    throw new Error(`Lua script name \`${name}\` must look like ttsName`);
  return { name, numberOfKeys, lua };
}

type ScriptCommand = (...keysAndArgs: (string | number)[]) => Promise<unknown>;

/**
 * Runs `script` on `redis`. The first call on a connection registers it with ioredis's
 * `defineCommand`, which sends EVALSHA and falls back to EVAL only when the server lacks the
 * script (a restarted or flushed Redis), so the source crosses the wire once, not on every call.
 */
export async function runScript(
  redis: RedisClient,
  script: LuaScript,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  if (keys.length !== script.numberOfKeys) {
    throw new Error(`${script.name}: expected ${script.numberOfKeys} keys, got ${keys.length}`);
  }
  const commands = redis as unknown as Record<string, ScriptCommand | undefined>;
  if (typeof commands[script.name] !== 'function') {
    redis.defineCommand(script.name, { numberOfKeys: script.numberOfKeys, lua: script.lua });
  }
  const command = commands[script.name] as ScriptCommand;
  return command.call(redis, ...keys, ...args);
}
