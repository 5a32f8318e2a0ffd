import { CommandRequest } from '../api';

/**
 * The commands the console sends, as api.md routes them: the path names the profile (and the user
 * of a subscription change), the body the rest. An empty group is the direct assignment (P2).
 */
const enc = encodeURIComponent;
const profilePath = (profileId: string) => `/v1/profiles/${enc(profileId)}`;
const subscriptionPath = (profileId: string, userId: string) => `${profilePath(profileId)}/subscriptions/${enc(userId)}`;
const group = (groupId: string) => (groupId === '' ? {} : { groupId });

export const subscribe = (profileId: string, userId: string, groupId: string, tier: string): CommandRequest => ({
  method: 'POST',
  path: `${profilePath(profileId)}/subscriptions`,
  body: { userId, ...group(groupId), tier },
});

export const changeTier = (direction: 'upgrade' | 'downgrade', profileId: string, userId: string, groupId: string, tier: string): CommandRequest => ({
  method: 'POST',
  path: `${subscriptionPath(profileId, userId)}/${direction}`,
  body: { ...group(groupId), tier },
});

export const unsubscribe = (profileId: string, userId: string, groupId: string): CommandRequest => ({
  method: 'POST',
  path: `${subscriptionPath(profileId, userId)}/unsubscribe`,
  body: group(groupId),
});

export const setOverage = (profileId: string, enabled: boolean): CommandRequest => ({ method: 'PUT', path: `${profilePath(profileId)}/overage`, body: { enabled } });

export const issueCredit = (profileId: string, lineId: string, amount: string, reason: string): CommandRequest => ({
  method: 'POST',
  path: `${profilePath(profileId)}/credits`,
  body: { lineId, amount, reason },
});

/** The same command, decided and not made (api.md "Previews"). */
export const previewOf = (command: CommandRequest): CommandRequest => ({ ...command, path: `${command.path}?preview=true` });
