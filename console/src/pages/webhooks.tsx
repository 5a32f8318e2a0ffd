import { getJson } from '../api';
import { Delivery, WebhookDeliveries, WebhookList } from '../codecs';
import { instant } from '../format';
import { useLoad } from '../useLoad';
import { Failure, Loading } from './status';

/** The endpoints and, for each, the last messages: what an admin looks at when a receiver says it got nothing. */
const loadAll = async (): Promise<ReadonlyArray<WebhookDeliveries>> => {
  const { webhooks } = await getJson('/v1/webhooks', WebhookList);
  return Promise.all(webhooks.map((w) => getJson(`/v1/webhooks/${encodeURIComponent(w.id)}/deliveries`, WebhookDeliveries)));
};

const answerOf = (d: Delivery): string => (d.lastStatus !== null ? `HTTP ${d.lastStatus}` : (d.lastError ?? '—'));

const Deliveries = ({ endpoint }: { endpoint: WebhookDeliveries }) =>
  endpoint.deliveries.length === 0 ? (
    <p class="muted">Nothing sent yet.</p>
  ) : (
    <div class="table-wrap">
      <table data-testid={`deliveries-${endpoint.id}`}>
        <caption class="sr-only">Recent deliveries to {endpoint.url}, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Message</th>
            <th scope="col">Type</th>
            <th scope="col">Status</th>
            <th scope="col" class="num">
              Attempts
            </th>
            <th scope="col">Last answer</th>
            <th scope="col">Last try</th>
            <th scope="col">Next try</th>
          </tr>
        </thead>
        <tbody>
          {endpoint.deliveries.map((d) => (
            <tr key={d.messageId}>
              <th scope="row">
                <code>{d.messageId}</code>
              </th>
              <td>{d.type}</td>
              <td>
                <span class={`badge ${d.status}`}>{d.status}</span>
              </td>
              <td class="num">{d.attempts}</td>
              <td>{answerOf(d)}</td>
              <td>{instant(d.lastAttemptAt)}</td>
              <td>{d.nextAt === null ? '—' : instant(d.nextAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );

export const WebhooksPage = () => {
  const load = useLoad(loadAll, []);
  return (
    <>
      <h1>Webhooks</h1>
      {load.state === 'loading' && <Loading />}
      {load.state === 'error' && <Failure error={load.error} />}
      {load.state === 'ok' &&
        (load.data.length === 0 ? (
          <p class="notice">No webhook endpoint is registered (POST /v1/webhooks, docs/webhooks.md).</p>
        ) : (
          load.data.map((e) => (
            <section key={e.id} aria-label={`Endpoint ${e.url}`}>
              <h2>
                <code>{e.url}</code> <span class={`badge ${e.status}`}>{e.status}</span>
              </h2>
              <p class="muted">
                {e.id} · {e.accountId === null ? 'every account' : `account ${e.accountId}`} · {e.events.join(', ')}
                {e.disabledAt !== null && ` · disabled ${instant(e.disabledAt)}`}
              </p>
              <Deliveries endpoint={e} />
            </section>
          ))
        ))}
    </>
  );
};
