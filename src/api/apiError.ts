import { QueryError } from '../app/ledgerQueries';
import { TokenError } from '../auth/tokenDecider';
import { CommandFailure } from '../commands/commandHandler';
import { WebhookError } from '../webhooks/webhookRegistry';

/** Every error a client can get: `{"error": {"code", "message"}}`, never a stack trace. */
export type ApiErrorCode =
  | CommandFailure['code']
  | QueryError['code']
  | TokenError['code']
  | WebhookError['code']
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'MISDIRECTED_REQUEST'
  | 'RATE_LIMITED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'REQUEST_TIMEOUT'
  | 'HEADERS_TOO_LARGE'
  | 'STORE_UNAVAILABLE'
  | 'STORE_BUSY'
  | 'INTERNAL';

export interface ApiError {
  readonly code: ApiErrorCode;
  readonly message: string;
}

export const apiError = (code: ApiErrorCode, message: string): ApiError => ({ code, message });

/** api.md: the codes with a status of their own; every other rule violation of section 7 is 422. */
const STATUS: Partial<Record<ApiErrorCode, number>> = {
  VALIDATION: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  PROFILE_NOT_FOUND: 404,
  NOT_FOUND: 404,
  TOKEN_NOT_FOUND: 404,
  WEBHOOK_NOT_FOUND: 404,
  MESSAGE_NOT_FOUND: 404,
  ALREADY_SUBSCRIBED: 409,
  PROFILE_EXISTS: 409,
  OUT_OF_ORDER: 409,
  MONTH_CLOSED: 409,
  CONFLICT: 409,
  IDEMPOTENCY_KEY_REUSED: 409,
  MISDIRECTED_REQUEST: 421,
  TOKEN_EXISTS: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  REQUEST_TIMEOUT: 408,
  HEADERS_TOO_LARGE: 431,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  STORE_UNAVAILABLE: 503,
  STORE_BUSY: 503,
};

export const httpStatusOf = (code: ApiErrorCode): number => STATUS[code] ?? 422;

/** The codes a status stands for, for the API's documentation. */
export const describeStatus = (status: number): string => {
  const codes = Object.entries(STATUS).flatMap(([code, s]) => (s === status ? [code] : []));
  return status === 422 ? 'a rule violation of section 7 without a status of its own' : codes.join(', ');
};

export const errorBody = (e: ApiError) => ({ error: { code: e.code, message: e.message } });

/** An ApiError thrown from where Fastify only takes exceptions (a body parser); the error handler unwraps it. */
export class ApiFailure extends Error {
  constructor(readonly apiError: ApiError) {
    super(apiError.message);
    this.name = 'ApiFailure';
  }
}
