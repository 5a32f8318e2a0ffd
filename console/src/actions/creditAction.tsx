import { useState } from 'preact/hooks';
import { getJson } from '../api';
import { Line, LineCredits } from '../codecs';
import { amount, monthName } from '../format';
import { hrefs } from '../router';
import { useLoad } from '../useLoad';
import { ActionForm, Previewed, TextField } from './actionForm';
import { useActing } from './acting';
import { issueCredit } from './commands';
import { ruleInWords } from './ruleInWords';

/**
 * Crediting a CHARGE or OVERAGE line of a final statement (admin only, billing-rules N1–N4): the
 * amount and the reason, then the preview of the statement the CREDIT line lands on, this month's.
 */
export const CreditForm = ({ profileId, month, userId, line, onClose }: { profileId: string; month: string; userId: string; line: Line; onClose: () => void }) => {
  const acting = useActing();
  const [credit, setCredit] = useState({ amount: '', reason: '' });
  const credits = useLoad(
    () => getJson(`/v1/profiles/${encodeURIComponent(profileId)}/statements/${month}/lines/${encodeURIComponent(line.lineId)}/credits`, LineCredits),
    [profileId, month, line.lineId],
    acting.version,
  );
  return (
    <ActionForm
      title={`Credit line ${line.lineId}`}
      confirmLabel={`credit ${credit.amount.trim()} on ${line.lineId}`}
      command={() => issueCredit(profileId, line.lineId, credit.amount.trim(), credit.reason)}
      users={() => [userId]}
      rule={(p: Previewed) => ruleInWords({ action: 'IssueCredit', month: p.statement.month, changes: p.changes, billedBefore: null, tierName: (t) => t, lineId: line.lineId })}
      onClose={onClose}
      onDone={acting.changed}
      doneText={(_result, p) => (
        <>
          Done: {amount(credit.amount.trim())} credited on {line.lineId}. It shows as a CREDIT line on <a href={hrefs.profile(profileId, p.statement.month)}>the statement of {monthName(p.statement.month)}</a>.
        </>
      )}
    >
      <TextField
        id={`credit-amount-${line.lineId}`}
        label="Amount (USD)"
        required
        inputMode="decimal"
        value={credit.amount}
        onInput={(amount) => setCredit({ ...credit, amount })}
        hint={credits.state === 'ok' ? `${amount(credits.data.left)} of ${amount(credits.data.amount)} left to credit.` : ''}
      />
      <TextField id={`credit-reason-${line.lineId}`} label="Reason" required wide maxLength={500} value={credit.reason} onInput={(reason) => setCredit({ ...credit, reason })} />
    </ActionForm>
  );
};
