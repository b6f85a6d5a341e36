import { TtsBatchError } from '../errors.js';

/** Which kind of HTTP call to Segmind (or to the audio URL it gave) an error or event belongs to. */
export type CallKind = 'submit' | 'status' | 'result' | 'download';

/** The data every Segmind error carries. Never the API key. */
export type SegmindErrorFields = {
  readonly call: CallKind;
  /** HTTP status, when an answer arrived. */
  readonly status?: number | undefined;
  readonly requestId?: string | undefined;
  /** What the server said (its `error` field, or its plain-text or HTML body, shortened). */
  readonly serverMessage?: string | undefined;
  /** The wait the server asked for (Retry-After and the like), already capped. */
  readonly retryAfterMs?: number | undefined;
  readonly cause?: unknown;
};

/** The base of every failure of a call to Segmind or of an audio download. Classify with `classifyError`. */
export class SegmindError extends TtsBatchError {
  override name: string = 'SegmindError';
  readonly call: CallKind;
  readonly status?: number;
  readonly requestId?: string;
  readonly serverMessage?: string;
  readonly retryAfterMs?: number;

  constructor(message: string, fields: SegmindErrorFields) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.call = fields.call;
    if (fields.status !== undefined) this.status = fields.status;
    if (fields.requestId !== undefined) this.requestId = fields.requestId;
    if (fields.serverMessage !== undefined) this.serverMessage = fields.serverMessage;
    if (fields.retryAfterMs !== undefined) this.retryAfterMs = fields.retryAfterMs;
  }
}

/** 400: the parameters were refused. The row fails. */
export class BadRequestError extends SegmindError {
  override name = 'BadRequestError' as const;
}

/** 401 (missing or invalid key) or 403 (model not allowed for this account). The run stops. */
export class AuthError extends SegmindError {
  override name = 'AuthError' as const;
}

/** 404: an unknown model (on submit), or an unknown or expired request (on status and result). */
export class NotFoundError extends SegmindError {
  override name = 'NotFoundError' as const;
  readonly phase: 'submit' | 'status' | 'result';
  constructor(
    message: string,
    fields: SegmindErrorFields & { readonly phase: 'submit' | 'status' | 'result' },
  ) {
    super(message, fields);
    this.phase = fields.phase;
  }
}

/** 406: insufficient credits, or a content type the API refuses. The run stops until an operator resumes it. */
export class CreditsError extends SegmindError {
  override name = 'CreditsError' as const;
}

/** 410: the model is retired. The run stops. */
export class ModelRetiredError extends SegmindError {
  override name = 'ModelRetiredError' as const;
}

/** 422 with `status: FAILED`: the inference failed (content or safety blocks too). `serverMessage` is the body's `error`. */
export class InferenceFailedError extends SegmindError {
  override name = 'InferenceFailedError' as const;
}

/** 429: rate limited. `retryAfterMs` is the server's wait, when it gave one (already capped). */
export class RateLimitedError extends SegmindError {
  override name = 'RateLimitedError' as const;
}

/** 5xx, or any other status the API is not documented to answer. */
export class ServerError extends SegmindError {
  override name = 'ServerError' as const;
}

/** No answer: the connection failed. On a submit, only failures that happened before the request was sent. */
export class NetworkError extends SegmindError {
  override name = 'NetworkError' as const;
  /** The system or undici error code, e.g. `ECONNREFUSED`, `UND_ERR_CONNECT_TIMEOUT`. */
  readonly code?: string;
  constructor(message: string, fields: SegmindErrorFields & { readonly code?: string | undefined }) {
    super(message, fields);
    if (fields.code !== undefined) this.code = fields.code;
  }
}

/** No answer within the per-request timeout (on a GET; on a submit this is an `AmbiguousSubmitError`). */
export class RequestTimeoutError extends SegmindError {
  override name = 'RequestTimeoutError' as const;
  readonly timeoutMs: number;
  constructor(message: string, fields: SegmindErrorFields & { readonly timeoutMs: number }) {
    super(message, fields);
    this.timeoutMs = fields.timeoutMs;
  }
}

/**
 * A submit was sent and then lost (reset after sending, timeout, unreadable or unusable 200 body):
 * a job MAY have been created and billed, and its id is unknown. Never retried by the client.
 */
export class AmbiguousSubmitError extends SegmindError {
  override name = 'AmbiguousSubmitError' as const;
  readonly code?: string;
  constructor(message: string, fields: SegmindErrorFields & { readonly code?: string | undefined }) {
    super(message, fields);
    if (fields.code !== undefined) this.code = fields.code;
  }
}

/**
 * The audio could not be obtained: a refused scheme or host, too many redirects, the size cap, a bad
 * `output` shape, undecodable bytes (`transient: false`), or a network error, timeout, 429 or 5xx
 * from the audio host (`transient: true`).
 */
export class DownloadError extends SegmindError {
  override name = 'DownloadError' as const;
  readonly transient: boolean;
  constructor(message: string, fields: Omit<SegmindErrorFields, 'call'> & { readonly transient: boolean }) {
    super(message, { ...fields, call: 'download' });
    this.transient = fields.transient;
  }
}

/**
 * An answer that breaks the documented shape: a 200 without `request_id`, `status` or `output`, a body
 * that is not JSON (HTML, truncated), or a body over the size cap. The message starts `protocol:`,
 * names what is missing and quotes the body's first characters.
 */
export class ProtocolError extends SegmindError {
  override name = 'ProtocolError' as const;
  /** The body's first ~120 characters, the API key redacted; `undefined` when no body was read. */
  readonly bodyStart?: string;
  constructor(message: string, fields: SegmindErrorFields & { readonly bodyStart?: string | undefined }) {
    super(message, fields);
    if (fields.bodyStart !== undefined) this.bodyStart = fields.bodyStart;
  }
}
