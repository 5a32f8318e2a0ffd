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

export const nextMonth = (month: Month): Month => {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const d = new Date(Date.UTC(y, m, 1));
  return d.toISOString().slice(0, 7);
};

export const previousMonth = (month: Month): Month => {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m - 2, 1)).toISOString().slice(0, 7);
};

/** The first instant after the month: statements for M see only events before it (T3). */
export const monthEnd = (month: Month): string => monthStart(nextMonth(month));

export const toMillis = (instant: string): number => Date.parse(instant);

/** The canonical form of an instant, so that equal instants compare and print equal. */
export const canonicalInstant = (instant: string): string => new Date(instant).toISOString();
