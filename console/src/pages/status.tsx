import { ComponentChildren } from 'preact';
import { ApiError } from '../api';
import { amount } from '../format';

export const Loading = () => (
  <p role="status" class="loading">
    Loading…
  </p>
);

export const Failure = ({ error }: { error: unknown }) => (
  <p role="alert" class="notice denied">
    {error instanceof ApiError ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error)}
  </p>
);

/** An open month's figures still move; a final one's never do (api.md). */
export const StatusBadge = ({ status }: { status: 'open' | 'final' }) => (
  <span class={`badge ${status}`} title={status === 'open' ? 'The month is not over: figures may still change' : 'The month is over: figures are final'}>
    {status}
  </span>
);

/** One figure of a page's summary: its label above its value. */
export const Figure = ({ label, children }: { label: string; children: ComponentChildren }) => (
  <div class="figure">
    <span class="label">{label}</span>
    {children}
  </div>
);

/** A statement's total, the figure every summary starts with. */
export const TotalFigure = ({ total, currency, testId }: { total: string; currency: string; testId: string }) => (
  <Figure label="Total">
    <span class="value num" data-testid={testId}>
      {amount(total)} <small>{currency}</small>
    </span>
  </Figure>
);
