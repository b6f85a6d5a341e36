import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from './helpers/cli.js';

// Every command's `--help` and usage errors, through the CLI entry; none of these reaches Redis.

const COMMANDS = [
  'enqueue',
  'worker',
  'status',
  'retry',
  'budget',
  'retake',
  'report',
  'pause',
  'resume',
  'dashboard',
  'simulator',
  'demo',
];

const run = (argv: readonly string[]) => runCli(argv, {}, process.cwd(), AbortSignal.abort());

test('-h and --help print the command help to stdout and exit 0', async () => {
  for (const command of COMMANDS) {
    for (const flag of ['--help', '-h']) {
      const { code, stdout, stderr } = await run([command, flag]);
      assert.equal(code, 0, `${command} ${flag}`);
      assert.match(stdout, new RegExp(`^Usage: tts-batch ${command}\\b`), `${command} ${flag}`);
      assert.equal(stderr, '', `${command} ${flag}`);
    }
  }
});

test('an unknown flag exits 2 with the message and the help on stderr, even beside --help', async () => {
  for (const command of COMMANDS) {
    for (const argv of [['--bogus'], ['--help', '--bogus']]) {
      const { code, stdout, stderr } = await run([command, ...argv]);
      assert.equal(code, 2, `${command} ${argv.join(' ')}`);
      assert.equal(stdout, '', `${command} ${argv.join(' ')}`);
      assert.match(stderr, /Unknown option '--bogus'/, `${command} ${argv.join(' ')}`);
      assert.match(
        stderr,
        new RegExp(`\\n\\nUsage: tts-batch ${command}\\b`),
        `${command} ${argv.join(' ')}`,
      );
    }
  }
});

test('only enqueue takes an argument', async () => {
  for (const command of COMMANDS.filter((name) => name !== 'enqueue')) {
    const { code, stderr } = await run([command, 'extra']);
    assert.equal(code, 2, command);
    assert.match(stderr, /Unexpected argument 'extra'/, command);
  }
  assert.equal((await run(['enqueue', '--help', 'script.csv'])).code, 0);
});
