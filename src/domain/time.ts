/**
 * Billing months are calendar months in UTC (T1). Instants travel as ISO 8601 strings with `Z`
 * and compare as epoch milliseconds.
 */

/** `YYYY-MM` */
export type Month = string;

/** An instant in the wire form (`YYYY-MM-DDTHH:MM:SS…Z`, UTC) starts with its month; no Date needed on this hot path. */
export const monthOf = (instant: string): Month =>
  instant.length >= 20 && instant[10] === 'T' && instant.endsWith('Z') ? instant.slice(0, 7) : new Date(instant).toISOString().slice(0, 7);

export const monthStart = (month: Month): string => `${month}-01T00:00:00.000Z`;

/**
 * Month arithmetic on the text itself: `Date.UTC` reads years 0–99 as 1900–1999, so that
 * `nextMonth("0050-03")` would be "1950-04". Years run 0000–9999, as `YYYY-MM` can name them.
 */
const addMonths = (month: Month, n: number): Month => {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const index = y * 12 + (m - 1) + n;
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
};

export const nextMonth = (month: Month): Month => addMonths(month, 1);

export const previousMonth = (month: Month): Month => addMonths(month, -1);

/** The first instant after the month: statements for M see only events before it (T3). */
export const monthEnd = (month: Month): string => monthStart(nextMonth(month));

export const toMillis = (instant: string): number => Date.parse(instant);

/** The canonical form of an instant, so that equal instants compare and print equal. */
export const canonicalInstant = (instant: string): string => new Date(instant).toISOString();

/** Decoded fields with a month `current` replaced by the month of `now`: queries and access control see real months only. */
export const resolveCurrentMonth = <T extends { readonly month?: Month }>(fields: T, now: string): T =>
  fields.month === 'current' ? { ...fields, month: monthOf(now) } : fields;
