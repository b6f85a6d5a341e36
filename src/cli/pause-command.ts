import { globalKeys } from '../queue/keys.js';
import { loadSettings } from '../settings.js';
import { defineCommand } from './command-args.js';
import { withQueue } from '../queue/queue-session.js';
import { HINT } from '../hints.js';

const PAUSE_HELP =
  'Usage: tts-batch pause   (npm run pause)\n\nStop all workers taking new rows (rows in flight finish).\n';
const RESUME_HELP =
  'Usage: tts-batch resume   (npm run resume)\n\nLet all workers take rows again (also after the API refused the account).\n';

/** `tts-batch pause`: every worker stops taking new rows (rows in flight finish). */
export const runPauseCommand = defineCommand(PAUSE_HELP, {}, async (_parsed, context) => {
  await withQueue(loadSettings(context.env), async ({ queue }) => {
    await queue.pause();
    context.stdout.write(
      `paused: workers take no new rows (rows in flight finish) until \`${HINT.resume}\`\n`,
    );
  });
  return 0;
});

/** `tts-batch resume` (`npm run resume`): workers take rows again; clears a halt set by the API refusing the account. */
export const runResumeCommand = defineCommand(RESUME_HELP, {}, async (_parsed, context) => {
  await withQueue(loadSettings(context.env), async ({ queue, redis, prefix }) => {
    const halt = await redis.hget(globalKeys(prefix).halt, 'reason');
    await redis.del(globalKeys(prefix).halt);
    await queue.resume();
    context.stdout.write(halt ? `resumed (the queue had been paused because: ${halt})\n` : 'resumed\n');
  });
  return 0;
});
