import type { RedisClient } from '../../redis/connection.js';
import type { ManifestPart } from '../../output/manifest-entry.js';
import type { AudioTarget } from '../../segmind/audio-file.js';
import type { Logger } from '../../log.js';
import type { RunNotifier } from '../../notify/notify-queue.js';
import type { RowJobData } from '../../queue/row-job.js';
import type { SubmitJournal } from '../../output/submit-journal.js';
import type { ProgressStore, RowProgress } from '../../queue/row-progress.js';
import type { BudgetStore } from '../../queue/run-budget.js';
import type { ClipChecker } from '../clip-checker.js';
import type { WindowStore } from '../../queue/run-window.js';
import type { SegmindClient } from '../../segmind/client.js';
import type { ModelSlug } from '../../segmind/models.js';
import type { PollModeStore } from '../await-completion.js';
import type { LatencyStats } from '../latency-stats.js';
import type { PollScheduleOptions } from '../poll-schedule.js';
import type { RequestBudget } from '../request-budget.js';
import type { ProtocolWatch } from '../protocol-watch.js';
import type { SubmitLimits } from './next-step.js';

/** What every row of a worker shares: connections, the fleet's budget, settings as data. */
export type RowContext = {
  readonly redis: RedisClient;
  readonly prefix: string;
  /** A client for one row: `beforeRequest` runs after the fleet's slot is granted, before each call. */
  readonly makeClient: (hooks: ClientHooks) => SegmindClient;
  readonly budget: RequestBudget;
  readonly latency: LatencyStats;
  readonly modes: PollModeStore;
  readonly schedule: PollScheduleOptions;
  readonly pricesUsd: Readonly<Record<ModelSlug, number>>;
  /** Checks every clip as it arrives (src/qa). */
  readonly qa: ClipChecker;
  /** Re-takes of a clip that fails its checks (`TTS_QA_RETAKES`), each a counted submit. */
  readonly qaRetakes: number;
  /** The runs' budgets: every billable submit reserves its cost first. */
  readonly budgets: BudgetStore;
  /** How long a row the budget or the run's window holds waits before it tries again (`TTS_HOLD_RECHECK_MS`). */
  readonly holdRecheckMs: number;
  /** The runs' daily windows (`enqueue --window`): no submit starts outside a run's window. */
  readonly windows: WindowStore;
  /** The clock the windows are read on (tests move it). */
  readonly windowClock: () => number;
  /** Called once when a run's budget first holds a row (a notice, if notifications are set). */
  readonly onBudgetHold: (run: string) => Promise<void>;
  readonly limits: SubmitLimits;
  /** A request without a result this long after its submit is resubmitted once, then the row fails. */
  readonly rowDeadlineMs: number;
  /** Transient failures (5xx, network, disk) in a row before the row fails. */
  readonly maxTransient: number;
  /** Counts the API's protocol errors fleet-wide and halts the fleet after too many in a row. */
  readonly protocol: ProtocolWatch;
  /** Stops the whole fleet (401, 403, 406, 410, an API that changed shape): pauses the queue with an operator message. */
  readonly halt: (reason: string) => Promise<void>;
  /** Raises run events (`run.finished`, ...) for the webhook and command (see src/notify/). */
  readonly notify: RunNotifier;
  /** When a run finishes (its manifests written): the assembly jobs due then (clip masters, `--master` without chapters). */
  readonly afterRunFinished: (run: string) => Promise<void>;
  /** The run's output directory from its metadata, checked to be the run's own; undefined when this machine cannot see it. */
  readonly runDir: (run: string) => Promise<string>;
  readonly logger: Logger;
  readonly now: () => number;
  /**
   * Aborted when the worker is told to stop: no row starts a submit after it (rows awaiting a
   * paid request go on until the grace period ends; the others are handed back at once).
   */
  readonly draining: AbortSignal;
};

export type ClientHooks = {
  /** Awaited after the fleet's request slot is granted, right before the request is sent. */
  readonly beforeSend: (call: 'submit' | 'status' | 'result', signal?: AbortSignal) => Promise<void>;
  readonly onCall: () => void;
};

/** One row being worked on (or one part of a row sent in parts): its job, its state, and the means to change it. */
export type Row = {
  /** For a part: the part's request, content hash and key (`<row id>~<hash>`) in place of the row's. */
  readonly data: RowJobData;
  /** The script row this work is for (a part's is its whole row): a newer version of it supersedes this work. */
  readonly scriptRow: { readonly id: string; readonly contentHash: string };
  /** Where its audio is saved: the run directory and the row id, or a part's hidden file. */
  readonly audioTarget: AudioTarget;
  /** A part of a row sent in parts: its failure is recorded as the whole row's. */
  readonly partOf?: {
    readonly fail: (error: string, retry: 'resubmit' | 'resume') => Promise<never>;
  };
  /** A row sent in parts: its parts as its manifest entry lists them (set before it is recorded). */
  parts?: readonly ManifestPart[];
  /** The BullMQ lock of the job: only its holder may submit. */
  readonly lock: { readonly key: string; readonly token: string };
  readonly attempt: number;
  readonly outDir: string;
  readonly store: ProgressStore;
  /** The output directory's record of this row's submissions (for a Redis that forgets). */
  readonly journal: SubmitJournal;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  progress: RowProgress;
  /** The row's client; its beforeSend hook counts a submit when the POST may leave. */
  readonly client: SegmindClient;
  /** The token of the submit whose POST may be out now (set by the client hook). */
  sendingToken: string | undefined;
  /** API calls made since the progress was last saved. */
  unsavedCalls: number;
  /** Adds calls to the run's counter. */
  readonly countCalls: (calls: number) => Promise<unknown>;
};
