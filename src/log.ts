import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

export type LoggerOptions = {
  readonly level?: string;
  /** Literal secret values (the API key) scrubbed from every string of every line. */
  readonly secrets?: readonly (string | undefined)[];
  /** Pretty output for a terminal; JSON otherwise. Defaults to whether stdout is a TTY. */
  readonly pretty?: boolean;
  readonly destination?: DestinationStream;
};

const REDACTED = '[redacted]';

function scrub(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') {
    return secrets.reduce((text, secret) => text.split(secret).join(REDACTED), value);
  }
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    return { type: value.name, message: scrub(value.message, secrets), stack: scrub(value.stack, secrets) };
  }
  if (Array.isArray(value)) return value.map((item) => scrub(item, secrets, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, scrub(item, secrets, depth + 1)]),
  );
}

/**
 * The one logger factory. Secrets are removed here, at the logger, twice over: known header and
 * field paths are redacted by pino, and the literal key is scrubbed from every string.
 */
export function makeLogger(options: LoggerOptions = {}): Logger {
  const secrets = (options.secrets ?? []).filter(isSecret);
  const pretty = options.pretty ?? (process.stdout.isTTY && !options.destination);
  const config = {
    level: options.level ?? 'info',
    redact: {
      paths: ['apiKey', 'headers["x-api-key"]', '*.headers["x-api-key"]', 'req.headers["x-api-key"]'],
      censor: REDACTED,
    },
    formatters: {
      log: (object: Record<string, unknown>) =>
        secrets.length === 0 ? object : (scrub(object, secrets) as Record<string, unknown>),
    },
    hooks: {
      logMethod(this: Logger, args: Parameters<Logger['info']>, method: Logger['info']) {
        const scrubbed =
          secrets.length === 0 ? args : (args.map((arg) => scrub(arg, secrets)) as typeof args);
        return method.apply(this, scrubbed);
      },
    },
  };
  let logger: Logger;
  if (options.destination) logger = pino(config, options.destination);
  else if (pretty)
    logger = pino({ ...config, transport: { target: 'pino-pretty', options: { colorize: true } } });
  else logger = pino(config);
  secretsOf.set(logger, secrets);
  return logger;
}

const isSecret = (secret: string | undefined): secret is string => !!secret && secret.length >= 4;

/** The secret lists of the loggers `makeLogger` made (their children share them). */
const secretsOf = new WeakMap<Logger, string[]>();

/** Scrubs one more secret (an API key read again from `.env`) from every later line of `logger` and its children. */
export function addLoggerSecret(logger: Logger, secret: string): void {
  const secrets = secretsOf.get(logger);
  if (secrets && isSecret(secret) && !secrets.includes(secret)) secrets.push(secret);
}
