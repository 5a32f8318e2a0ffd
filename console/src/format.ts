/**
 * Amounts arrive as exact decimal strings with 2 places and are shown as such: only thousands
 * separators are added, by text, so no amount ever passes through a binary float.
 */
export const amount = (decimal: string): string => {
  const [whole = '', fraction] = decimal.split('.');
  const grouped = whole.replace(/\B(?=([0-9]{3})+(?![0-9]))/g, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
};

const monthNames = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** `2026-05` → `May 2026` */
export const monthName = (month: string): string => `${monthNames[Number(month.slice(5, 7)) - 1] ?? '?'} ${month.slice(0, 4)}`;

/** An instant as the API sends it, shortened for a table: `2026-05-02 10:00:00Z`. */
export const instant = (iso: string): string => iso.replace('T', ' ').replace(/\.[0-9]+Z$/, 'Z');
