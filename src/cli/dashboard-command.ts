import { UsageError } from '../errors.js';
import { startDashboard } from '../dashboard/server.js';
import { loadSettings } from '../settings.js';
import { defineCommand } from './command-args.js';

const HELP = `Usage: tts-batch dashboard [--port 3000]

Web dashboard until stopped: the runs with their progress at /, the queue's jobs (bull-board)
at /queues, Prometheus metrics at /metrics.

Listens on TTS_DASHBOARD_HOST (default 127.0.0.1, this machine only). Before exposing it, set
TTS_DASHBOARD_USER and TTS_DASHBOARD_PASSWORD: with both set, every page asks for them.

Options:
  --port N     port (default: TTS_DASHBOARD_PORT, 3000)
  -h, --help   this text
`;

const OPTIONS = { port: { type: 'string' } } as const;

export const runDashboardCommand = defineCommand(HELP, { options: OPTIONS }, async ({ values }, context) => {
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new UsageError(
        `Expected \`--port\` to be a whole number from 0 to 65535, got \`${values.port}\``,
      );
    }
  }
  const settings = loadSettings(context.env);
  const dashboard = await startDashboard({ settings, ...(port !== undefined ? { port } : {}) });
  const auth = settings.dashboardUser !== undefined && settings.dashboardPassword !== undefined;
  context.stdout.write(
    `dashboard: ${dashboard.url}/  (jobs: ${dashboard.url}/queues, metrics: ${dashboard.url}/metrics)${auth ? ', basic auth on' : ''}\n`,
  );
  await new Promise<void>((resolve) => {
    if (context.signal.aborted) resolve();
    context.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await dashboard.close();
  return 0;
});
