import type { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import type { RunProgress } from './run-progress.js';
import { plainWatchLine, type WatchFields } from './watch-view.js';

/** Where a watched run is shown: a live bar on a terminal, plain lines elsewhere. */
export type WatchDisplay = {
  /** Lines printed once, above the live view (the queue paused, halted, resumed). */
  note(text: string): void;
  show(progress: RunProgress, fields: WatchFields): void;
  stop(): void;
};

/*
 * The payload keys must not be cli-progress's own tokens (`eta`, `value`, `total`, `duration`,
 * `percentage`): those win over the payload, and `{eta}` printed its raw seconds (`ETA 534`,
 * `ETA INF`). The ETA comes before the audio so that a narrow terminal cuts the audio first.
 */
const BAR_FORMAT =
  '{state}{bar} {percentage}% | {value}/{total} done | failed {failed} | in flight {inFlight} | ' +
  '{rate} rows/min | ETA {etaText} | {audio} min audio';

/** A cli-progress bar; notes go above it (MultiBar's log), the bar stays the last line. */
export function makeBarDisplay(out: Writable): WatchDisplay {
  const bars = new cliProgress.MultiBar(
    { stream: out, hideCursor: true, barsize: 20, format: BAR_FORMAT },
    cliProgress.Presets.shades_classic,
  );
  let bar: cliProgress.SingleBar | undefined;
  return {
    note: (text) => bars.log(text),
    show(progress, fields) {
      const payload = { ...fields, etaText: fields.eta };
      if (!bar) bar = bars.create(progress.rows, progress.done, payload);
      else {
        bar.setTotal(progress.rows);
        bar.update(progress.done, payload);
      }
    },
    stop() {
      if (!bar) return;
      bars.update(); // notes logged since the last redraw, then the final bar
      bars.stop();
    },
  };
}

/** A line whenever what it says changes, notes as they come. */
export function makePlainDisplay(out: Writable): WatchDisplay {
  let lastLine = '';
  return {
    note: (text) => out.write(text),
    show(progress, fields) {
      const line = plainWatchLine(progress, fields);
      if (line !== lastLine) out.write(line);
      lastLine = line;
    },
    stop: () => undefined,
  };
}
