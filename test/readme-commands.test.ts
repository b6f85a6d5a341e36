import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseChaosArgs } from '../chaos/options.js';
import { runCli } from './helpers/cli.js';

/** Every `npm run NAME [-- ARGS]` the README shows a user, with the words after `--`. */
type ShownCommand = { readonly text: string; readonly script: string; readonly args: string[] | undefined };

const readme = readFileSync('README.md', 'utf8');
const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> })
  .scripts;

function shownCommands(): ShownCommand[] {
  const found: ShownCommand[] = [];
  // Up to the end of the inline code, a comment, a shell operator or the line's end.
  for (const match of readme.matchAll(/npm run (?:-s )?([\w:-]+)([^`#&|;\n)]*)/g)) {
    const [text, script = '', rest = ''] = match;
    const words = rest.trim().split(/\s+/).filter(Boolean);
    const dashes = words.indexOf('--');
    found.push({ text: text.trim(), script, args: dashes === -1 ? undefined : words.slice(dashes + 1) });
  }
  return found;
}

/** A usage line (`FILE [--run NAME]`, `<your-script.csv>`, `...`) describes a command; it is not one. */
const isTemplate = (args: readonly string[]) => args.some((word) => /[[\]<>]|\.\.\.|^[A-Z]+$/.test(word));

test('every `npm run` command in the README names a script of package.json', () => {
  const shown = shownCommands();
  assert.ok(shown.length >= 20, `found only ${shown.length} commands`);
  const missing = shown.filter((command) => scripts[command.script] === undefined);
  assert.deepEqual(
    missing.map((command) => command.text),
    [],
  );
});

test('every `npm run X -- flags` in the README is accepted by its command as written', async () => {
  const checked: string[] = [];
  for (const command of shownCommands()) {
    if (command.args === undefined || command.args.length === 0 || isTemplate(command.args)) continue;
    const script = scripts[command.script] ?? '';
    const viaCli = /^node bin\/tts-batch\.js (\w+)$/.exec(script);
    if (viaCli) {
      // Parsed strictly, then --help prints the usage: an unknown or malformed flag exits 2.
      const outcome = await runCli([viaCli[1] ?? '', ...command.args, '--help'], {});
      assert.equal(outcome.code, 0, `${command.text}: ${outcome.stderr}`);
      checked.push(command.text);
    } else if (command.script === 'chaos') {
      assert.doesNotThrow(() => parseChaosArgs(command.args ?? []), command.text);
      checked.push(command.text);
    }
  }
  assert.ok(checked.length >= 8, `checked only: ${checked.join('; ')}`);
});
