/**
 * P2: a user holds one assignment per group, and at most one direct assignment (no group).
 * The direct one is keyed by the empty string, which no group id can be.
 */
export type GroupKey = string;

export const groupKey = (groupId: string | null): GroupKey => groupId ?? '';

export const describeAssignment = (profileId: string, userId: string, groupId: string | null): string =>
  groupId === null
    ? `user ${userId} has no direct subscription in profile ${profileId}`
    : `user ${userId} has no subscription in group ${groupId} of profile ${profileId}`;
