import { stringify } from 'csv-stringify/sync';
import { monthEnd, monthStart } from '../domain/time';
import { LineKind, Statement, StatementLine, UserStatement } from './statementTypes';

/**
 * The billing export of api.md: one row per statement line, with AWS Cost and Usage Report 2.0 column
 * names so that it loads where a CUR export loads, and a last column naming the events behind the row.
 */
export const EXPORT_COLUMNS = [
  'bill_billing_period_start_date',
  'line_item_usage_account_id',
  'line_item_product_code',
  'line_item_resource_id',
  'line_item_line_item_type',
  'line_item_usage_type',
  'line_item_usage_start_date',
  'line_item_usage_end_date',
  'line_item_usage_amount',
  'pricing_unit',
  'line_item_unblended_cost',
  'line_item_currency_code',
  'line_item_line_item_description',
  'bill_payer_account_id',
  'bill_billing_period_end_date',
  'identity_line_item_id',
  'product_region_code',
  'ledger_event_ids',
] as const;

export type ExportRow = Record<(typeof EXPORT_COLUMNS)[number], string>;

const PRODUCT_CODE = 'Kiro';

/** The AWS billing code of each Region, the prefix of its usage types (us-east-1 → USE1). */
const REGION_BILLING_CODES: Readonly<Record<string, string>> = {
  'us-east-1': 'USE1',
  'us-east-2': 'USE2',
  'us-west-1': 'USW1',
  'us-west-2': 'USW2',
  'ca-central-1': 'CAN1',
  'ca-west-1': 'CAN2',
  'mx-central-1': 'MXC1',
  'sa-east-1': 'SAE1',
  'af-south-1': 'AFS1',
  'ap-east-1': 'APE1',
  'ap-northeast-1': 'APN1',
  'ap-northeast-2': 'APN2',
  'ap-northeast-3': 'APN3',
  'ap-south-1': 'APS3',
  'ap-south-2': 'APS5',
  'ap-southeast-1': 'APS1',
  'ap-southeast-2': 'APS2',
  'ap-southeast-3': 'APS4',
  'ap-southeast-4': 'APS6',
  'eu-central-1': 'EUC1',
  'eu-central-2': 'EUC2',
  'eu-north-1': 'EUN1',
  'eu-south-1': 'EUS1',
  'eu-south-2': 'EUS2',
  'eu-west-1': 'EU',
  'eu-west-2': 'EUW2',
  'eu-west-3': 'EUW3',
  'il-central-1': 'ILC1',
  'me-central-1': 'MEC1',
  'me-south-1': 'MES1',
  'us-gov-east-1': 'UGE1',
  'us-gov-west-1': 'UGW1',
  'cn-north-1': 'CNN1',
  'cn-northwest-1': 'CNW1',
};

/**
 * A Region missing from the table (a new one) still gets a stable code in AWS's style: the area,
 * the initials of the other words, the number (mx-central-2 → MXC2).
 */
export const regionBillingCode = (region: string): string => {
  const known = REGION_BILLING_CODES[region];
  if (known !== undefined) return known;
  const parts = region.split('-');
  const [area = '', ...rest] = parts;
  const number = rest.pop() ?? '';
  return `${area.toUpperCase()}${rest.map((w) => w.charAt(0).toUpperCase()).join('')}${number}`;
};

/** The ARN partition a Region belongs to. */
const partitionOf = (region: string): string => (region.startsWith('us-gov-') ? 'aws-us-gov' : region.startsWith('cn-') ? 'aws-cn' : 'aws');

/** Tier codes of any future tier map the same way: PRO_PLUS → ProPlus, PRO_MAX → ProMax. */
export const tierUsageSuffix = (tier: string): string =>
  tier
    .split('_')
    .filter((w) => w !== '')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase())
    .join('');

/** How each kind of line reads in a CUR: a typed table, so that a new kind cannot be exported by accident. */
interface RowKind {
  readonly type: string;
  readonly unit: string;
  readonly amount: (u: UserStatement) => string;
  readonly suffix: (tier: string) => string;
}
const ROW_KIND: Readonly<Record<LineKind, RowKind>> = {
  CHARGE: { type: 'Fee', unit: 'User-Month', amount: () => '1', suffix: tierUsageSuffix },
  REFUND: { type: 'Refund', unit: 'User-Month', amount: () => '-1', suffix: tierUsageSuffix },
  OVERAGE: { type: 'Usage', unit: 'Credits', amount: (u) => u.overageCredits, suffix: () => 'Credits' },
  // As a CUR Credit row: money only, no usage (N5).
  CREDIT: { type: 'Credit', unit: '', amount: () => '0', suffix: tierUsageSuffix },
};

/**
 * `streamId@position` per event and `streamId@from..to` per range of usage (L4), then the line id a
 * CREDIT credits (N5), `;`-separated. Split at the last `@`: what follows is digits (and `..`), ids
 * may hold `@`; an item with no `@` followed by digits only is a line id.
 */
const eventIds = (l: StatementLine): string =>
  [
    ...l.events.map((e) => `${e.streamId}@${e.position}`),
    ...(l.usage ?? []).map((r) => `${r.streamId}@${r.fromPosition}..${r.toPosition}`),
    ...(l.credits === undefined ? [] : [l.credits]),
  ].join(';');

/** The rows of a set of statements, in statement, user and line order. A line covers its whole month (M1). */
export const exportRows = (statements: ReadonlyArray<Statement>): ReadonlyArray<ExportRow> =>
  statements.flatMap((s) =>
    s.users.flatMap((u) =>
      u.lines.map((l): ExportRow => {
        const kind = ROW_KIND[l.kind];
        return {
          bill_billing_period_start_date: monthStart(s.month),
          line_item_usage_account_id: s.accountId,
          line_item_product_code: PRODUCT_CODE,
          line_item_resource_id: `arn:${partitionOf(s.region)}:kiro:${s.region}:${s.accountId}:profile/${s.profileId}/user/${u.userId}`,
          line_item_line_item_type: kind.type,
          line_item_usage_type: `${regionBillingCode(s.region)}-KiroEnterprise-${kind.suffix(l.tier)}`,
          line_item_usage_start_date: monthStart(s.month),
          line_item_usage_end_date: monthEnd(s.month),
          line_item_usage_amount: kind.amount(u),
          pricing_unit: kind.unit,
          line_item_unblended_cost: l.amount,
          line_item_currency_code: s.currency,
          line_item_line_item_description: l.description,
          // Each account pays its own bill: the ledger knows no consolidated-billing payer above it.
          bill_payer_account_id: s.accountId,
          bill_billing_period_end_date: monthEnd(s.month),
          identity_line_item_id: l.lineId,
          product_region_code: s.region,
          ledger_event_ids: eventIds(l),
        };
      }),
    ),
  );

/** What a spreadsheet reads as the start of a formula (OWASP, CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?[0-9]+(\.[0-9]+)?$/;

/**
 * A cell as text a spreadsheet shows rather than runs: one that could start a formula (a tier named
 * `=HYPERLINK(…)`, a profile id `@SUM`) gets a leading `'`, OWASP's advice; a plain number such as
 * `-20.00` stays a number. Ids and names are the clients' own text, so every cell passes here.
 */
export const spreadsheetSafe = (cell: string): string => (FORMULA_START.test(cell) && !PLAIN_NUMBER.test(cell) ? `'${cell}` : cell);

/** RFC 4180 CSV (CRLF line ends, quoting where needed) with the header row, every cell spreadsheet-safe. */
export const billingExportCsv = (statements: ReadonlyArray<Statement>): string =>
  stringify(exportRows(statements) as ExportRow[], { header: true, columns: [...EXPORT_COLUMNS], record_delimiter: 'windows', cast: { string: spreadsheetSafe } });
