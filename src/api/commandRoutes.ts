import * as t from 'io-ts';
import { CommandFields, CommandType } from '../domain/commands';
import { strictObject } from '../domain/validation';
import { pathParamNames } from './pathTemplate';

/** One HTTP route per command of section 7; the server, and the OpenAPI document, are built from this table. */
export interface CommandRoute {
  readonly command: CommandType;
  readonly method: 'POST' | 'PUT';
  /** OpenAPI form; each `{id}` is a required field of the command, taken from the path instead of the body. */
  readonly path: string;
  readonly status: 200 | 201;
  readonly summary: string;
}

const subscription = '/v1/profiles/{profileId}/subscriptions/{userId}';

export const commandRoutes: ReadonlyArray<CommandRoute> = [
  { command: 'DefineTier', method: 'POST', path: '/v1/catalog/tiers', status: 201, summary: 'Add a tier, or change its price or credits from a later month on (a started month is never re-priced)' },
  { command: 'CreateProfile', method: 'POST', path: '/v1/profiles', status: 201, summary: 'Create a billing profile: one AWS account in one Region, at most one profile per pair' },
  { command: 'Subscribe', method: 'POST', path: '/v1/profiles/{profileId}/subscriptions', status: 201, summary: 'Assign a tier to a user, directly or through a group; a user pays once per profile, at the highest tier held' },
  { command: 'Unsubscribe', method: 'POST', path: `${subscription}/unsubscribe`, status: 200, summary: 'Remove an assignment; the month stays paid in full, the next one has no charge' },
  { command: 'Upgrade', method: 'POST', path: `${subscription}/upgrade`, status: 200, summary: "Raise an assignment's tier; this month's lower charge is refunded and the higher tier charged in full" },
  { command: 'Downgrade', method: 'POST', path: `${subscription}/downgrade`, status: 200, summary: "Lower an assignment's tier; the higher tier stays paid this month, the lower is charged from the next" },
  { command: 'SetOverage', method: 'PUT', path: '/v1/profiles/{profileId}/overage', status: 200, summary: 'Switch overage on or off for every user of the profile (off by default)' },
  {
    command: 'IssueCredit',
    method: 'POST',
    path: '/v1/profiles/{profileId}/credits',
    status: 201,
    summary: "Credit a CHARGE or OVERAGE line of a final statement, up to what is left of it (admin only): the final bill stays as it was sent, the credit shows as a CREDIT line on the statement of the month it is dated in",
  },
  { command: 'ConsumeCredits', method: 'POST', path: '/v1/profiles/{profileId}/usage', status: 201, summary: 'Record one request of credit consumption; a retry with the same requestId changes nothing; past the allowance it is refused unless overage is on' },
];

/** api.md, batch usage: up to 1,000 ConsumeCredits in one call (server.ts; its OpenAPI in openapi.ts). */
export const USAGE_BATCH_PATH = '/v1/profiles/{profileId}/usage/batch';

export interface CommandRouteFields {
  readonly path: t.Props;
  readonly body: { readonly required: t.Props; readonly optional: t.Props };
}

/** The command's fields split between path and body; a body that repeats a path id has an unknown field. */
export const fieldsOf = (route: CommandRoute): CommandRouteFields => {
  const { required, optional } = CommandFields[route.command] as { required: t.Props; optional: t.Props };
  const ids = new Set(pathParamNames(route.path));
  const missing = [...ids].filter((id) => !(id in required));
  if (missing.length > 0) throw new Error(`${route.path}: ${missing.join(', ')} is no required field of ${route.command}`);
  const pick = (props: t.Props, inPath: boolean) => Object.fromEntries(Object.entries(props).filter(([k]) => ids.has(k) === inPath));
  return { path: pick(required, true), body: { required: pick(required, false), optional: pick(optional, false) } };
};

export const codecsOf = (route: CommandRoute) => {
  const fields = fieldsOf(route);
  return {
    params: strictObject('path', fields.path, {}),
    body: strictObject('body', fields.body.required, fields.body.optional),
  };
};
