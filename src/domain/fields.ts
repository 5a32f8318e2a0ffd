import * as t from 'io-ts';

/**
 * Codecs of the fields that cross a boundary (section 7 formats). A codec's name is the
 * human description used in VALIDATION messages: "credits: must be <name>, got …".
 */
export const pattern = (description: string, re: RegExp, check: (s: string) => boolean = () => true) =>
  new t.Type<string, string, unknown>(
    description,
    (u): u is string => typeof u === 'string' && re.test(u) && check(u),
    (u, c) => (typeof u === 'string' && re.test(u) && check(u) ? t.success(u) : t.failure(u, c)),
    t.identity,
  );

/** A whole number within bounds, as text: query strings, path parameters and CLI options carry numbers so. */
export const integerText = (description: string, min: number, max: number) =>
  new t.Type<number, string, unknown>(
    description,
    (u): u is number => Number.isSafeInteger(u) && (u as number) >= min && (u as number) <= max,
    (u, c) => {
      const n = typeof u === 'string' && /^[0-9]{1,16}$/.test(u) ? Number(u) : NaN;
      return Number.isSafeInteger(n) && n >= min && n <= max ? t.success(n) : t.failure(u, c);
    },
    String,
  );

export const IDENTIFIER = /^[A-Za-z0-9._:@-]{1,128}$/;
export const Identifier = pattern('1 to 128 characters of A-Z a-z 0-9 . _ : @ -', IDENTIFIER);
export const AccountId = pattern('a 12-digit AWS account id', /^[0-9]{12}$/);
export const Region = pattern(
  'an AWS Region code such as us-east-1',
  /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$/,
);
export const TierCode = pattern('a tier code matching [A-Z][A-Z0-9_]* (at most 64 characters)', /^[A-Z][A-Z0-9_]{0,63}$/);
// Strings, not JSON numbers, so that no amount passes through binary floating point; the description says so.
export const DecimalString = pattern(
  'a decimal with at most 2 places, as a string such as "20" or "12.50"',
  /^[0-9]{1,15}(\.[0-9]{1,2})?$/,
);
export const PositiveDecimalString = pattern(
  'a decimal above 0 with at most 2 places, as a string such as "2500" or "12.50"',
  /^[0-9]{1,15}(\.[0-9]{1,2})?$/,
  // The pattern leaves only digits and a point: a non-zero digit anywhere means above 0.
  (s) => /[1-9]/.test(s),
);
export const MonthString = pattern('a month as YYYY-MM (months 01 to 12)', /^[0-9]{4}-(0[1-9]|1[0-2])$/);
/** Wherever a month is taken by a query, `current` stands for the clock's (api.md): see time's resolveCurrentMonth. */
export const MonthOrCurrent = pattern('a month as YYYY-MM (months run 01 to 12), or current', /^([0-9]{4}-(0[1-9]|1[0-2])|current)$/);

const INSTANT = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z$/;
/** Calendar-checked: `2026-02-30T…Z` matches the pattern but is no instant. */
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeapYear = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
// Field by field rather than through Date: every stored event's instants pass here on a replay.
const isRealInstant = (s: string): boolean => {
  const year = Number(s.slice(0, 4));
  const month = Number(s.slice(5, 7));
  const day = Number(s.slice(8, 10));
  const days = month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1];
  return days !== undefined && day >= 1 && day <= days && Number(s.slice(11, 13)) < 24 && Number(s.slice(14, 16)) < 60 && Number(s.slice(17, 19)) < 60;
};
/** An instant as recorded: what the events of every release hold, so it stays as loose as the first one was. */
export const Instant = pattern('an ISO 8601 UTC instant such as 2026-04-01T09:00:00Z', INSTANT, isRealInstant);
/** T2: nothing is dated before 1970-01-01T00:00:00Z, where the catalog (C3) and the scenario clock begin. */
const EPOCH_YEAR = 1970;
/** An instant a command, a clock header or a scenario step gives (T2's floor); events keep Instant. */
export const NewInstant = pattern('an ISO 8601 UTC instant from 1970 on, such as 2026-04-01T09:00:00Z', INSTANT, (s) => Number(s.slice(0, 4)) >= EPOCH_YEAR && isRealInstant(s));
/** A name as recorded: what the events of every release hold, so it stays as loose as the first one was. */
export const DisplayName = pattern('1 to 200 printable characters', /^[^\u0000-\u001f\u007f]{1,200}$/u);
/**
 * Text a person gave and others read (a tier's or profile's name, a credit's reason): printable, so
 * no control characters (C0, DEL, C1), no line or paragraph separators, no bidirectional overrides
 * that would show it other than it is stored; not blank, not padded. Formulas are text here; the
 * export neutralises them (billingExport).
 */
const printableText = (max: number) =>
  pattern(
    `1 to ${max} characters of printable text (no control characters, line breaks or bidirectional overrides; not blank, no leading or trailing spaces)`,
    new RegExp(`^[^\\p{Cc}\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]{1,${max}}$`, 'u'),
    (s) => s.trim() === s,
  );

/** A name a command gives; events keep the codec they were written under (DisplayName). */
export const NewDisplayName = printableText(200);
/** A credit note's reason (N1): what the customer reads on the CREDIT line. */
export const CreditReason = printableText(500);
