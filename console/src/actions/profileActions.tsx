import { useRef, useState } from 'preact/hooks';
import { getJson } from '../api';
import { Catalog, ProfileNow } from '../codecs';
import { amount, monthName } from '../format';
import { Failure, Loading } from '../pages/status';
import { hrefs } from '../router';
import { useLoad } from '../useLoad';
import { ActionForm, Previewed, TextField } from './actionForm';
import { mayChange, useActing } from './acting';
import { changeTier, setOverage, subscribe, unsubscribe } from './commands';
import { Action, ruleInWords } from './ruleInWords';

type Change = Exclude<Action, 'IssueCredit'>;

const TITLES: Readonly<Record<Change, string>> = {
  Subscribe: 'Subscribe a user',
  Upgrade: 'Upgrade a user',
  Downgrade: 'Downgrade a user',
  Unsubscribe: 'Unsubscribe a user',
  SetOverage: 'Switch overage',
};

/** A user's active assignments in words: "direct: Pro+; group eng: Pro". */
const assignmentsInWords = (user: ProfileNow['users'][number], tierName: (t: string) => string): string =>
  user.assignments.map((a) => `${a.groupId === null ? 'direct' : `group ${a.groupId}`}: ${tierName(a.tier)}`).join('; ');

interface Fields {
  readonly userId: string;
  readonly groupId: string;
  readonly tier: string;
}

/**
 * The changes an operator or admin makes on a profile page: subscribe, upgrade, downgrade,
 * unsubscribe, the overage switch. Commands are dated now, so they are offered on the page of the
 * month they land in (the catalog's month, the clock's); each opens a form whose confirmation shows its preview.
 */
export const ProfileActions = ({ profileId, month }: { profileId: string; month: string }) => {
  const acting = useActing();
  const catalog = useLoad(() => getJson('/v1/catalog', Catalog), [], acting.version);
  const now = useLoad(() => getJson(`/v1/profiles/${encodeURIComponent(profileId)}`, ProfileNow), [profileId], acting.version);
  const [open, setOpen] = useState<Change | undefined>(undefined);
  const [fields, setFields] = useState<Fields>({ userId: '', groupId: '', tier: '' });
  const openers = useRef<Partial<Record<Change, HTMLButtonElement | null>>>({});
  if (!mayChange(acting.caller)) return null;
  if (catalog.state === 'error') return <Failure error={catalog.error} />;
  if (now.state === 'error') return <Failure error={now.error} />;
  if (catalog.state !== 'ok' || now.state !== 'ok') return <Loading />;
  const current = catalog.data.month;
  if (current !== month) {
    return (
      <p class="notice" data-testid="actions-elsewhere">
        Changes are dated now, in {monthName(current)}: <a href={hrefs.profile(profileId, current)}>make them on the page of {monthName(current)}</a>.
      </p>
    );
  }
  const tiers = catalog.data.tiers;
  const tierName = (code: string) => tiers.find((t) => t.tier === code)?.name ?? code;
  const profile = now.data;
  const user = profile.users.find((u) => u.userId === fields.userId.trim());
  const tier = fields.tier === '' ? (tiers[0]?.tier ?? '') : fields.tier;
  const userId = fields.userId.trim();
  const groupId = fields.groupId.trim();
  const set = (change: Partial<Fields>) => setFields({ ...fields, ...change });
  const close = () => {
    const which = open;
    setOpen(undefined);
    if (which !== undefined) openers.current[which]?.focus();
  };
  const billedBefore = (p: Previewed) => p.before?.users.find((u) => u.userId === userId)?.billedTier ?? null;
  const rule = (action: Change) => (p: Previewed) =>
    ruleInWords({
      action,
      month: p.statement.month,
      changes: p.changes,
      billedBefore: billedBefore(p),
      tierName,
      tier,
      enabled: !profile.overage,
      othersHeld: user?.assignments.filter((a) => (a.groupId ?? '') !== groupId).length ?? 0,
    });
  const common = {
    onClose: close,
    onDone: acting.changed,
    users: () => (open === 'SetOverage' ? [] : [userId]),
  };
  const userField = (
    <>
      <TextField
        id="action-user"
        label="User"
        required
        list={open === 'Subscribe' ? undefined : 'action-users'}
        value={fields.userId}
        onInput={(v) => set({ userId: v })}
        hint={userId === '' ? '' : user === undefined ? `${userId} holds no assignment now.` : `${userId} holds ${assignmentsInWords(user, tierName)}.`}
      />
      <datalist id="action-users">
        {profile.users.map((u) => (
          <option key={u.userId} value={u.userId} />
        ))}
      </datalist>
    </>
  );
  const groupField = (
    <>
      <TextField id="action-group" label="Group" list="action-groups" value={fields.groupId} onInput={(v) => set({ groupId: v })} hint="Empty for the direct assignment." />
      <datalist id="action-groups">
        {(user?.assignments ?? []).flatMap((a) => (a.groupId === null ? [] : [<option key={a.groupId} value={a.groupId} />]))}
      </datalist>
    </>
  );
  const tierField = (
    <div class="field">
      <label for="action-tier">Tier</label>
      <select id="action-tier" name="tier" value={tier} onChange={(e) => set({ tier: (e.target as HTMLSelectElement).value })}>
        {tiers.map((t) => (
          <option key={t.tier} value={t.tier}>
            {t.name} ({amount(t.price)} USD, {amount(t.credits)} credits)
          </option>
        ))}
      </select>
    </div>
  );
  const recorded = (what: string) => () => `Done: ${what}. The statement below shows it.`;
  const form = (() => {
    switch (open) {
      case undefined:
        return null;
      case 'Subscribe':
        return (
          <ActionForm {...common} key={open} title={TITLES.Subscribe} confirmLabel={`subscribe ${userId} to ${tierName(tier)}`} command={() => subscribe(profileId, userId, groupId, tier)} rule={rule('Subscribe')} doneText={recorded(`${userId} is subscribed to ${tierName(tier)}`)}>
            {userField}
            {groupField}
            {tierField}
          </ActionForm>
        );
      case 'Upgrade':
      case 'Downgrade': {
        const direction = open === 'Upgrade' ? 'upgrade' : 'downgrade';
        return (
          <ActionForm {...common} key={open} title={TITLES[open]} confirmLabel={`${direction} ${userId} to ${tierName(tier)}`} command={() => changeTier(direction, profileId, userId, groupId, tier)} rule={rule(open)} doneText={recorded(`${userId} is ${direction}d to ${tierName(tier)}`)}>
            {userField}
            {groupField}
            {tierField}
          </ActionForm>
        );
      }
      case 'Unsubscribe':
        return (
          <ActionForm {...common} key={open} title={TITLES.Unsubscribe} confirmLabel={`unsubscribe ${userId}`} command={() => unsubscribe(profileId, userId, groupId)} rule={rule('Unsubscribe')} doneText={recorded(`${userId} is unsubscribed`)}>
            {userField}
            {groupField}
          </ActionForm>
        );
      case 'SetOverage': {
        const enabled = !profile.overage;
        return (
          <ActionForm {...common} key={open} title={TITLES.SetOverage} confirmLabel={`turn overage ${enabled ? 'on' : 'off'}`} command={() => setOverage(profileId, enabled)} rule={rule('SetOverage')} doneText={recorded(`overage is ${enabled ? 'on' : 'off'}`)}>
            <p>
              Overage is <strong>{profile.overage ? 'on' : 'off'}</strong> for this profile. Preview turning it {enabled ? 'on' : 'off'} for every user.
            </p>
          </ActionForm>
        );
      }
    }
  })();
  const opener = (change: Change, label: string) => (
    <button
      type="button"
      ref={(b) => {
        openers.current[change] = b;
      }}
      aria-expanded={open === change}
      aria-controls={open === change ? 'action-form' : undefined}
      onClick={() => (open === change ? close() : setOpen(change))}
    >
      {label}
    </button>
  );
  return (
    <section aria-labelledby="actions-title" class="actions-panel" data-testid="actions">
      <h2 id="actions-title">Change this profile</h2>
      <p class="muted">
        Dated now, on the statement of {monthName(current)}. Each change is previewed first; nothing is recorded until you confirm. Overage is {profile.overage ? 'on' : 'off'}.
      </p>
      <div class="action-buttons">
        {opener('Subscribe', 'Subscribe a user…')}
        {opener('Upgrade', 'Upgrade…')}
        {opener('Downgrade', 'Downgrade…')}
        {opener('Unsubscribe', 'Unsubscribe…')}
        {opener('SetOverage', `Turn overage ${profile.overage ? 'off' : 'on'}…`)}
      </div>
      <div id="action-form">{form}</div>
    </section>
  );
};
