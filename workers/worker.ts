// The worker process's entry point (`npm run worker`): the only place besides the CLI that
// installs signal handlers. First SIGINT/SIGTERM: stop taking rows, finish or hand back those in
// flight (TTS_SHUTDOWN_GRACE_MS); a second: exit at once (the rows return to the queue when
// their locks expire).
import { runCli } from '../src/cli/main.js';

await runCli(['worker', ...process.argv.slice(2)]);
