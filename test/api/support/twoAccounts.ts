/**
 * A small history the query and console tests share: two profiles of one account (MINE), one of
 * another (OTHER); April is final and May open at NOW; bob is billed in two profiles; alice upgrades
 * (a REFUND); carol goes over her allowance with overage on.
 */
export const NOW = new Date('2026-05-10T12:00:00.000Z');
export const MINE = '111122223333';
export const OTHER = '444455556666';

export const twoAccounts: ReadonlyArray<Record<string, unknown>> = [
  { type: 'CreateProfile', profileId: 'p-iad', accountId: MINE, region: 'us-east-1', occurredAt: '2026-03-01T09:00:00Z' },
  { type: 'CreateProfile', profileId: 'p-fra', accountId: MINE, region: 'eu-central-1', occurredAt: '2026-03-01T09:01:00Z' },
  { type: 'CreateProfile', profileId: 'p-gov', accountId: OTHER, region: 'us-gov-west-1', occurredAt: '2026-03-01T09:02:00Z' },
  { type: 'Subscribe', profileId: 'p-iad', userId: 'alice', tier: 'PRO', occurredAt: '2026-03-02T09:00:00Z' },
  { type: 'Upgrade', profileId: 'p-iad', userId: 'alice', tier: 'POWER', occurredAt: '2026-04-10T09:00:00Z' },
  { type: 'Subscribe', profileId: 'p-iad', userId: 'bob', tier: 'PRO', occurredAt: '2026-04-11T09:00:00Z' },
  { type: 'Subscribe', profileId: 'p-fra', userId: 'bob', tier: 'PRO', occurredAt: '2026-04-11T09:00:00Z' },
  { type: 'SetOverage', profileId: 'p-fra', enabled: true, occurredAt: '2026-04-11T09:01:00Z' },
  { type: 'Subscribe', profileId: 'p-fra', userId: 'carol', tier: 'PRO', occurredAt: '2026-04-11T09:02:00Z' },
  { type: 'ConsumeCredits', profileId: 'p-fra', userId: 'carol', credits: '600', requestId: 'r-1', occurredAt: '2026-04-12T09:00:00Z' },
  { type: 'ConsumeCredits', profileId: 'p-fra', userId: 'carol', credits: '500.50', requestId: 'r-2', occurredAt: '2026-04-13T09:00:00Z' },
  { type: 'Subscribe', profileId: 'p-gov', userId: 'dan', tier: 'PRO_PLUS', occurredAt: '2026-04-14T09:00:00Z' },
];
