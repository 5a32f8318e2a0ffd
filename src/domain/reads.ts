import { Command, CommandOf } from './commands';
import { Streams } from './events';
import { statementOfLine } from './lineId';
import { Month, monthOf, nextMonth } from './time';

/**
 * T2's table as data: the streams a command's decision reads, declared by the domain. The shell
 * loads exactly these into the decider's one state, appends to `writes` at the revision read, and
 * guards every other stream at the revision read: what the decision saw is what the append checks.
 * No read grows with the profile's users: what SetOverage needs of every user, the profile's latest
 * consumption, is one value the shell keeps where one read finds it, guarded by "nothing consumed
 * under the profile since".
 */
export type Reads =
  | { readonly kind: 'catalog'; readonly writes: string }
  /** CreateProfile. Every profile command also reads the profile's creation in the registry, unguarded: a creation never changes. */
  | { readonly kind: 'registry'; readonly writes: string }
  | {
      readonly kind: 'lifecycle';
      readonly writes: string;
      readonly catalog: string;
      /** The consumptions T2 checks it against in the command's month and the next (nothing is dated further ahead). */
      readonly consumptions:
        | { readonly of: 'user'; readonly userId: string; readonly usage: ReadonlyArray<string> }
        | { readonly of: 'profile'; readonly profileId: string; readonly months: ReadonlyArray<Month> };
    }
  | { readonly kind: 'usage'; readonly writes: string; readonly catalog: string; readonly lifecycle: string; readonly requestId: string }
  | { readonly kind: 'credits'; readonly writes: string; readonly catalog: string; readonly lifecycle: string; readonly usage: string };

/** K2: requestIds are unique within a profile; the store's command-id index enforces it. */
export const consumeCommandId = (profileId: string, requestId: string) => `ConsumeCredits/${profileId}/${requestId}`;

export type ReadsOf<K extends Reads['kind']> = Extract<Reads, { readonly kind: K }>;

export const catalogReads: ReadsOf<'catalog'> = { kind: 'catalog', writes: Streams.catalog };

export const registryReads: ReadsOf<'registry'> = { kind: 'registry', writes: Streams.registry };

export const consumptionReads = (c: CommandOf<'ConsumeCredits'>): ReadsOf<'usage'> => ({
  kind: 'usage',
  writes: Streams.usage(c.profileId, c.userId, monthOf(c.occurredAt)),
  catalog: Streams.catalog,
  lifecycle: Streams.profile(c.profileId),
  requestId: consumeCommandId(c.profileId, c.requestId),
});

export const creditReads = (c: CommandOf<'IssueCredit'>): ReadsOf<'credits'> => {
  const { userId, month } = statementOfLine(c.lineId);
  return { kind: 'credits', writes: Streams.credits(c.profileId), catalog: Streams.catalog, lifecycle: Streams.profile(c.profileId), usage: Streams.usage(c.profileId, userId, month) };
};

export const lifecycleReads = (c: CommandOf<'Subscribe' | 'Unsubscribe' | 'Upgrade' | 'Downgrade' | 'SetOverage'>): ReadsOf<'lifecycle'> => {
  const month = monthOf(c.occurredAt);
  const months = [month, nextMonth(month)];
  const consumptions =
    c.type === 'SetOverage'
      ? { of: 'profile' as const, profileId: c.profileId, months }
      : { of: 'user' as const, userId: c.userId, usage: months.map((m) => Streams.usage(c.profileId, c.userId, m)) };
  return { kind: 'lifecycle', writes: Streams.profile(c.profileId), catalog: Streams.catalog, consumptions };
};

/** A command's reads, as of the date it carries (a command the server dates: its clock's instant). */
export const readsOf = (c: Command): Reads => {
  switch (c.type) {
    case 'DefineTier':
      return catalogReads;
    case 'CreateProfile':
      return registryReads;
    case 'ConsumeCredits':
      return consumptionReads(c);
    case 'IssueCredit':
      return creditReads(c);
    default:
      return lifecycleReads(c);
  }
};

/** Every stream a decision reads besides the one it writes: each is guarded on the append. */
export const guardedStreams = (reads: Reads): ReadonlyArray<string> => {
  switch (reads.kind) {
    case 'catalog':
    case 'registry':
      return [];
    case 'lifecycle':
      return [reads.catalog, ...(reads.consumptions.of === 'user' ? reads.consumptions.usage : [])];
    case 'usage':
      return [reads.catalog, reads.lifecycle];
    case 'credits':
      return [reads.catalog, reads.lifecycle, reads.usage];
  }
};
