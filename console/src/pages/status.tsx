import { ApiError } from '../api';

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
