import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { globalKeys, ROWS_QUEUE } from '../queue/keys.js';
import { connectRedis, makeRedis } from '../redis/connection.js';
import { loadSettings } from '../settings.js';
import type { CliContext, Command } from './context.js';

async function withQueue(
  context: CliContext,
  use: (queue: Queue, prefix: string, redis: Redis) => Promise<void>,
): Promise<void> {
  const settings = loadSettings(context.env);
  const redis = await connectRedis(makeRedis(settings.redisUrl, 'command'), settings.redisUrl);
  const queue = new Queue(ROWS_QUEUE, { connection: redis, prefix: settings.queuePrefix });
  try {
    await use(queue, settings.queuePrefix, redis);
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

function helpOnly(argv: readonly string[], context: CliContext, help: string): boolean {
  const { values } = parseArgs({
    args: [...argv],
    options: { help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) context.stdout.write(help);
  return values.help === true;
}

/** `tts-batch pause`: every worker stops taking new rows (rows in flight finish). */
export const runPauseCommand: Command = async (argv, context) => {
  if (helpOnly(argv, context, 'Usage: tts-batch pause\n\nStop all workers taking new rows.\n')) return 0;
  await withQueue(context, async (queue) => {
    await queue.pause();
    context.stdout.write('paused: workers take no new rows until `tts-batch resume`\n');
  });
  return 0;
};

/** `tts-batch resume`: workers take rows again; clears a halt set by the API refusing the account. */
export const runResumeCommand: Command = async (argv, context) => {
  if (helpOnly(argv, context, 'Usage: tts-batch resume\n\nLet all workers take rows again.\n')) return 0;
  await withQueue(context, async (queue, prefix, connection) => {
    const halt = await connection.hget(globalKeys(prefix).halt, 'reason');
    await connection.del(globalKeys(prefix).halt);
    await queue.resume();
    context.stdout.write(halt ? `resumed (the queue had been paused because: ${halt})\n` : 'resumed\n');
  });
  return 0;
};
