/** The rule violations of section 7, plus VALIDATION for malformed input. */
export type DomainErrorCode =
  | 'VALIDATION'
  | 'PERIOD_STARTED'
  | 'PROFILE_EXISTS'
  | 'PROFILE_NOT_FOUND'
  | 'UNKNOWN_TIER'
  | 'ALREADY_SUBSCRIBED'
  | 'NOT_SUBSCRIBED'
  | 'NOT_AN_UPGRADE'
  | 'NOT_A_DOWNGRADE'
  | 'CREDITS_EXHAUSTED'
  | 'REQUEST_ID_REUSED'
  | 'OUT_OF_ORDER'
  | 'MONTH_CLOSED'
  | 'MONTH_OPEN'
  | 'LINE_NOT_FOUND'
  | 'NOT_CREDITABLE'
  | 'CREDIT_EXCEEDS_LINE';

export interface DomainError {
  readonly code: DomainErrorCode;
  readonly message: string;
}

export const domainError = (code: DomainErrorCode, message: string): DomainError => ({ code, message });
