import * as t from 'io-ts';

/**
 * A statement line id as statements hand it out, `{profileId}~{YYYY-MM}~{userId}~{n}`
 * (monthlyStatement's lineId): `~` is in no identifier, so the id splits unambiguously and goes
 * into a URL path as it is.
 */
const ID = '[A-Za-z0-9._:@-]{1,128}';
const LINE_ID = new RegExp(`^(${ID})~([0-9]{4}-(?:0[1-9]|1[0-2]))~(${ID})~([0-9]{1,9})$`);
/** Line ids handed out before they were URL-safe: `{profileId}/{month}/{userId}/{n}`, URL-encoded in a path. */
const SLASHED_LINE_ID = new RegExp(`^(${ID})/([0-9]{4}-(?:0[1-9]|1[0-2]))/(${ID})/([0-9]{1,9})$`);

/** Decodes either form to the `~` form, so that links saved before the change keep working. */
export const LineId = new t.Type<string, string, unknown>(
  'a statement line id such as p-iad~2026-04~alice~1 (profile~month~user~n, as the statement shows it)',
  (u): u is string => typeof u === 'string' && LINE_ID.test(u),
  (u, c) => {
    if (typeof u === 'string' && LINE_ID.test(u)) return t.success(u);
    const slashed = typeof u === 'string' ? SLASHED_LINE_ID.exec(u) : null;
    return slashed === null ? t.failure(u, c) : t.success(slashed.slice(1).join('~'));
  },
  t.identity,
);

/** The statement a decoded line id belongs to, and the user it bills. */
export const statementOfLine = (lineId: string): { readonly profileId: string; readonly month: string; readonly userId: string } => {
  const parts = LINE_ID.exec(lineId);
  // Only ids LineId decoded come here.
  if (parts === null) throw new Error(`not a statement line id: ${lineId}`);
  return { profileId: parts[1] as string, month: parts[2] as string, userId: parts[3] as string };
};
