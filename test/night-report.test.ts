import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, test } from 'node:test';
import { chromium } from 'playwright-core';
import { reasonLabel } from '../src/dashboard/reason-label.js';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { runCli } from './helpers/cli.js';
import { enqueueRowsOk, type ScriptRow } from './helpers/enqueue-rows.js';
import { nightRows } from './helpers/night.js';
import { nightKit } from './helpers/night-kit.js';
import { until } from './helpers/processes.js';

// Debian's chromium, driven by playwright-core; this test installs nothing itself.
const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is absent: install it with \`apt-get install -y chromium\` to run the browser test`;

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});
const { night, worker, finished } = nightKit(cleanups);

const usd = (value: number) => `$${value.toFixed(value < 10 ? 4 : 2)}`;
const sum = (entries: Record<string, unknown>[], field: string) =>
  entries.reduce((total, entry) => total + (Number(entry[field]) || 0), 0);

test(
  'report writes report.html: one self-contained page showing the night, checked in Chromium',
  { skip },
  async () => {
    const n = await night({ sim: { rateFailed: 0.3, seed: 11 } });
    const rows: ScriptRow[] = [
      ...nightRows(10, 'flash'),
      ...nightRows(4, 'older').map((row) => ({ ...row, model: 'gemini-2.5-flash-tts' as const })),
    ];
    await enqueueRowsOk(n.target, rows);
    worker(n.env, 4);
    const entries = await finished(n, rows.length);
    assertBilledAtMostRecorded(n.sim.ledger(), entries);
    const failed = entries.filter((entry) => entry['status'] === 'failed');
    assert.ok(failed.length > 0 && failed.length < rows.length, `the seed fails some rows: ${failed.length}`);
    const reportPath = join(n.outDir, 'report.html');
    // The worker that finished the run writes report.html too, right after the manifests.
    await until(() => existsSync(reportPath), 'report.html from the worker');

    const report = await runCli(['report', '--run', 'night'], n.env);
    assert.equal(report.code, 0, report.stderr);
    assert.match(report.stdout, /manifest\.csv and report\.html/);
    const html = await readFile(reportPath, 'utf8');
    assert.doesNotMatch(
      html,
      /<script|<link|<img|src=|href=|@import|url\(/i,
      'nothing to fetch, nothing to run',
    );

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    cleanups.push(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 900, height: 800 } });
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    const url = pathToFileURL(reportPath).href;
    await page.goto(url);
    assert.deepEqual(requests, [url], 'the page loads nothing but itself');

    const text = async (selector: string) => (await page.locator(selector).textContent())?.trim();
    const completed = rows.length - failed.length;
    assert.equal(await text('#run'), 'night');
    assert.equal(await text('#rows-done'), String(completed));
    assert.equal(await text('#rows-failed'), String(failed.length));
    assert.equal(await text('#rows-pending'), '0');
    assert.equal(await text('#cost-spent'), usd(sum(entries, 'cost')));
    assert.equal(await text('#audio-minutes'), (sum(entries, 'duration_s') / 60).toFixed(1));
    assert.equal(await text('#calls-per-row'), (sum(entries, 'calls') / rows.length).toFixed(2));

    // Cost by model: both models, with their rows.
    const models: string[][] = [];
    for (const tr of await page.locator('#models tbody tr').all())
      models.push(await tr.locator('td').allTextContents());
    const byModel = new Map(models.map((cells) => [cells[0], cells]));
    assert.equal(byModel.get('gemini-3.1-flash-tts')?.[1], '10');
    assert.equal(byModel.get('gemini-2.5-flash-tts')?.[1], '4');
    for (const model of ['gemini-3.1-flash-tts', 'gemini-2.5-flash-tts']) {
      const spent = sum(
        entries.filter((entry) => entry['model'] === model),
        'cost',
      );
      assert.equal(byModel.get(model)?.[3], usd(spent));
    }

    // Calls per row: every row counted once.
    const calls = await page.locator('#calls tbody tr td:nth-child(2)').allTextContents();
    assert.equal(
      calls.reduce((total, cell) => total + Number(cell), 0),
      rows.length,
    );

    // Failures grouped by reason, with the rows.
    const groups = new Map<string, string[]>();
    for (const entry of failed) {
      const reason = reasonLabel(String(entry['error']));
      groups.set(reason, [...(groups.get(reason) ?? []), String(entry['id'])]);
    }
    const shown: { reason: string; count: number; rows: string[] }[] = [];
    for (const details of await page.locator('#failures details.failure').all()) {
      shown.push({
        reason: (await details.locator('.reason').textContent()) ?? '',
        count: Number(await details.getAttribute('data-count')),
        rows: ((await details.locator('.rows').textContent()) ?? '').split(', '),
      });
    }
    assert.equal(shown.length, groups.size);
    for (const group of shown) {
      assert.deepEqual(group.rows.sort(), (groups.get(group.reason) ?? []).sort(), group.reason);
      assert.equal(group.count, group.rows.length);
    }

    // Throughput: the bars hold every row, and the chart is drawn.
    let barRows = 0;
    for (const rect of await page.locator('#throughput rect.bar').all()) {
      barRows += Number(await rect.getAttribute('data-rows'));
    }
    assert.equal(barRows, rows.length);
    const box = await page.locator('#throughput').boundingBox();
    assert.ok(box && box.width > 300 && box.height > 100, `chart box ${JSON.stringify(box)}`);
    assert.ok((await page.locator('#throughput text.tick').count()) >= 3, 'time ticks under the chart');

    const shot = join(n.target.outRoot, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    const png = await readFile(shot);
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    assert.ok((await stat(shot)).size > 20_000, 'a page with content, not a blank one');
    await page.close();
  },
);
