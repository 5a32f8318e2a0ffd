import { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { CommandRequest, getJson, isNotFound, newIdempotencyKey, sendCommand } from '../api';
import { CommandResult, Preview, Statement } from '../codecs';
import { amount, instant, monthName } from '../format';
import { LineColumns } from '../lineColumns';
import { Failure } from '../pages/status';
import { previewOf } from './commands';
import { LineChange, lineChanges, TotalChange, totalChanges } from './previewDiff';

/** A preview as the confirmation step shows it: what changes, against the statement of the same month as it reads now. */
export interface Previewed {
  readonly preview: Preview;
  readonly statement: Statement;
  readonly changes: ReadonlyArray<LineChange>;
  readonly before: Statement | undefined;
}

/** The statement of the previewed month as it reads now; a profile billed nothing yet that month has none. */
const statementNow = (profileId: string, month: string): Promise<Statement | undefined> =>
  getJson(`/v1/profiles/${encodeURIComponent(profileId)}/statements/${month}`, Statement).catch((e: unknown) => {
    if (isNotFound(e)) return undefined;
    throw e;
  });

const previewed = async (command: CommandRequest): Promise<Previewed> => {
  const preview = await sendCommand(previewOf(command), Preview);
  const statement = preview.statement;
  // Every command the console sends belongs to a profile: its preview has a statement (api.md "Previews").
  if (statement === null) throw new Error('the preview has no statement');
  const before = await statementNow(statement.profileId, statement.month);
  return { preview, statement, changes: lineChanges(before, statement), before };
};

const ChangedLines = ({ changes, month }: { changes: ReadonlyArray<LineChange>; month: string }) =>
  changes.length === 0 ? (
    <p data-testid="no-line-change">No line of {monthName(month)} changes.</p>
  ) : (
    <div class="table-wrap">
      <table data-testid="preview-lines">
        <caption>Lines of {monthName(month)} that change</caption>
        <thead>
          <tr>
            <th scope="col">Change</th>
            <th scope="col">User</th>
            <LineColumns />
          </tr>
        </thead>
        <tbody>
          {changes.map((c, i) => (
            <tr key={i} class={`line ${c.line.kind.toLowerCase()} ${c.change}`}>
              <td>{c.change === 'added' ? 'added' : 'no longer billed'}</td>
              <td>{c.userId}</td>
              <td>{c.line.kind}</td>
              <td>{c.line.tier}</td>
              <td>{c.line.description}</td>
              <td class="mono">{instant(c.line.at)}</td>
              <td class="num">{amount(c.line.amount)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );

const Totals = ({ totals, month }: { totals: ReadonlyArray<TotalChange>; month: string }) => (
  <div class="table-wrap">
    <table data-testid="preview-totals" class="totals">
      <caption>Totals of {monthName(month)}</caption>
      <thead>
        <tr>
          <th scope="col">Total of</th>
          <th scope="col" class="num">
            Now (USD)
          </th>
          <th scope="col" class="num">
            After (USD)
          </th>
        </tr>
      </thead>
      <tbody>
        {totals.map((t) => (
          <tr key={t.label}>
            <th scope="row">{t.label}</th>
            <td class="num">{t.before === null ? 'not billed' : amount(t.before)}</td>
            <td class="num">{t.after === null ? 'not billed' : amount(t.after)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);

/** A refusal, where it happened; the focus goes to it. */
const StepError = ({ error }: { error: unknown }) =>
  error === undefined ? null : (
    <div data-focus tabIndex={-1} data-testid="action-error">
      <Failure error={error} />
    </div>
  );

/** A labelled text field of an action's form, with a hint read with it (`aria-describedby`). */
export const TextField = (props: {
  readonly id: string;
  readonly label: string;
  readonly value: string;
  readonly onInput: (value: string) => void;
  readonly hint?: ComponentChildren;
  readonly required?: boolean;
  readonly list?: string;
  readonly inputMode?: 'decimal';
  readonly maxLength?: number;
  readonly wide?: boolean;
}) => (
  <div class={props.wide === true ? 'field wide' : 'field'}>
    <label for={props.id}>{props.label}</label>
    <input
      id={props.id}
      required={props.required}
      list={props.list}
      inputMode={props.inputMode}
      maxLength={props.maxLength}
      autoComplete="off"
      spellcheck={false}
      value={props.value}
      aria-describedby={props.hint === undefined ? undefined : `${props.id}-hint`}
      onInput={(e) => props.onInput((e.target as HTMLInputElement).value)}
    />
    {props.hint !== undefined && (
      <span id={`${props.id}-hint`} class="hint">
        {props.hint}
      </span>
    )}
  </div>
);

export interface ActionFormProps {
  /** The form's heading, and its accessible name: "Upgrade a user". */
  readonly title: string;
  /** The confirming button's label: "Upgrade alice". */
  readonly confirmLabel: string;
  /** The command as the fields now say it. */
  readonly command: () => CommandRequest;
  /** The users whose totals the confirmation shows, besides those a line changes for. */
  readonly users: () => ReadonlyArray<string>;
  /** The rule the preview applies, in plain words. */
  readonly rule: (previewed: Previewed) => string;
  readonly children: ComponentChildren;
  readonly onClose: () => void;
  /** Called once the command is made: the page loads again what it changed. */
  readonly onDone: (result: CommandResult, previewed: Previewed) => void;
  /** What the last step says once the command is made. */
  readonly doneText: (result: CommandResult, previewed: Previewed) => ComponentChildren;
}

type Step =
  | { readonly at: 'edit'; readonly busy: boolean; readonly error?: unknown }
  | { readonly at: 'confirm'; readonly previewed: Previewed; readonly rule: string; readonly key: string; readonly busy: boolean; readonly error?: unknown }
  | { readonly at: 'done'; readonly text: ComponentChildren };

/**
 * A command in three steps: its fields, then its preview (`?preview=true`: the lines it adds and
 * takes away, the totals before and after, the rule in words) to confirm, then what was done. Each
 * step is a real form, so Enter submits it; the focus goes to what each step is about (its first
 * field, the preview's heading, the outcome), and back to the page when it closes. A refusal shows
 * the API's message where it happened, and nothing was made.
 */
export const ActionForm = (props: ActionFormProps) => {
  const [step, setStep] = useState<Step>({ at: 'edit', busy: false });
  const box = useRef<HTMLDivElement>(null);
  // What the focus goes to at each step: the first field, the preview's heading, the outcome, an error.
  // Before the browser paints, so that keys typed right after opening land in the field.
  useLayoutEffect(() => {
    const target = box.current?.querySelector<HTMLElement>('[data-focus]') ?? box.current?.querySelector<HTMLElement>('input, select, textarea, button');
    target?.focus();
  }, [step.at, 'error' in step ? step.error : undefined]);

  const preview = (e: Event) => {
    e.preventDefault();
    setStep({ at: 'edit', busy: true });
    previewed(props.command()).then(
      // The rule is told once, from the preview: the page may load again under it.
      (p) => setStep({ at: 'confirm', previewed: p, rule: props.rule(p), key: newIdempotencyKey(), busy: false }),
      (error: unknown) => setStep({ at: 'edit', busy: false, error }),
    );
  };
  const confirm = (e: Event) => {
    e.preventDefault();
    if (step.at !== 'confirm') return;
    const { previewed: p, key } = step;
    setStep({ ...step, busy: true, error: undefined });
    // The key: a confirmation sent twice (a double click, a retry after a lost answer) takes effect once.
    sendCommand(props.command(), CommandResult, { 'idempotency-key': key }).then(
      (result) => {
        setStep({ at: 'done', text: props.doneText(result, p) });
        props.onDone(result, p);
      },
      (error: unknown) => setStep({ ...step, busy: false, error }),
    );
  };
  const titleId = `action-${props.title.replace(/[^A-Za-z0-9]+/g, '-').toLowerCase()}`;
  return (
    <div class="action" ref={box} role="group" aria-labelledby={titleId} data-testid="action">
      <h3 id={titleId}>{props.title}</h3>
      {step.at === 'edit' && (
        <form onSubmit={preview} aria-labelledby={titleId} aria-busy={step.busy}>
          <div class="fields">{props.children}</div>
          <StepError error={step.error} />
          <div class="buttons">
            <button type="submit" disabled={step.busy}>
              {step.busy ? 'Previewing…' : 'Preview'}
            </button>
            <button type="button" onClick={props.onClose}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {step.at === 'confirm' && (
        <form onSubmit={confirm} aria-label={`Confirm: ${props.confirmLabel}`} aria-busy={step.busy} data-testid="confirm">
          <h4 data-focus tabIndex={-1}>
            Preview: nothing is recorded until you confirm
          </h4>
          <p class="rule" data-testid="rule">
            {step.rule}
          </p>
          <ChangedLines changes={step.previewed.changes} month={step.previewed.statement.month} />
          <Totals
            totals={totalChanges(step.previewed.before, step.previewed.statement, [...props.users(), ...step.previewed.changes.map((c) => c.userId)])}
            month={step.previewed.statement.month}
          />
          <p class="muted">
            Records {step.previewed.preview.events.length === 1 ? 'one event' : `${step.previewed.preview.events.length} events`}:{' '}
            {step.previewed.preview.events.map((e) => e.type).join(', ') || 'none'}.
          </p>
          <StepError error={step.error} />
          <div class="buttons">
            <button type="submit" disabled={step.busy}>
              {step.busy ? 'Recording…' : `Confirm: ${props.confirmLabel}`}
            </button>
            <button type="button" disabled={step.busy} onClick={() => setStep({ at: 'edit', busy: false })}>
              Back
            </button>
            <button type="button" disabled={step.busy} onClick={props.onClose}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {step.at === 'done' && (
        <div class="done">
          <p role="status" data-focus tabIndex={-1} data-testid="action-done">
            {step.text}
          </p>
          <button type="button" onClick={props.onClose}>
            Close
          </button>
        </div>
      )}
    </div>
  );
};
