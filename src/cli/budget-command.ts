import { parseBudgetUsd } from '../enqueue/run-budget-limit.js';
import { UsageError } from '../errors.js';
import { withQueue } from '../queue/queue-session.js';
import { makeBudgetStore } from '../queue/run-budget.js';
import { loadSettings } from '../settings.js';
import { targetRuns } from '../status/run-target.js';
import { defineCommand } from './command-args.js';

const HELP = `Usage: tts-batch budget --run NAME --usd N   (npm run budget -- --run NAME --usd N)

Sets the run's budget: the most its submits may cost, in USD (\`--usd none\` removes it).
Rows the old budget held go on within TTS_BUDGET_HOLD_MS (a minute by default).

Options:
  --run NAME   the run (required)
  --usd N      the new budget in USD, or \`none\`
  -h, --help   this text
`;

const OPTIONS = { run: { type: 'string' }, usd: { type: 'string' } } as const;

const money = (usd: number) => `$${usd.toFixed(usd < 1 ? 4 : 2)}`;

export const runBudgetCommand = defineCommand(HELP, { options: OPTIONS }, async (parsed, context) => {
  const { run: runName, usd } = parsed.values;
  if (runName === undefined || usd === undefined)
    throw new UsageError(`--run and --usd are required\n\n${HELP}`);
  const limit = usd === 'none' ? undefined : parseBudgetUsd(usd);
  const settings = loadSettings(context.env);
  return withQueue(settings, async (session) => {
    const [run] = await targetRuns(session, runName);
    if (run === undefined) return 2;
    const budgets = makeBudgetStore(session.redis, session.prefix);
    const before = await budgets.read(run);
    await budgets.setLimit(run, limit);
    const was = before.limitUsd === undefined ? 'none' : money(before.limitUsd);
    const now = limit === undefined ? 'none' : money(limit);
    const held = before.heldAt !== undefined ? '; rows it held go on within a minute' : '';
    context.stdout.write(`${run}: budget ${now} (was ${was}; spent ${money(before.spentUsd)})${held}\n`);
    return 0;
  });
});
