import { isLeft } from 'fp-ts/es6/Either';
import * as t from 'io-ts';
import { useEffect, useState } from 'preact/hooks';
import { token } from './api';

/** GET /readyz (docs/operations.md): 200 ready, 503 not ready, both with the checks and why. */
const Check = t.intersection([t.type({ ok: t.boolean }), t.partial({ reason: t.string })]);
const Readiness = t.type({ status: t.string, checks: t.type({ store: Check, readModel: Check }) });

type Health = { readonly ready: true } | { readonly ready: false; readonly why: string };

const EVERY_MS = 15_000;

const look = async (): Promise<Health> => {
  const bearer = token.get();
  try {
    const response = await fetch('/readyz', { headers: bearer === null ? {} : { authorization: `Bearer ${bearer}` } });
    const decoded = Readiness.decode(await response.json().catch(() => undefined));
    if (isLeft(decoded)) return { ready: false, why: `the server answered ${response.status}` };
    if (response.ok) return { ready: true };
    const { store, readModel } = decoded.right.checks;
    return { ready: false, why: [store, readModel].flatMap((c) => (c.ok || c.reason === undefined ? [] : [c.reason])).join('; ') };
  } catch {
    return { ready: false, why: 'the server does not answer' };
  }
};

/** The server's readiness in the header, looked at every 15 s: what an orchestrator's probe sees, for people. */
export const HealthStatus = () => {
  const [health, setHealth] = useState<Health | undefined>(undefined);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      const seen = await look();
      if (stopped) return;
      setHealth(seen);
      timer = setTimeout(poll, EVERY_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);
  if (health === undefined) return null;
  return (
    <span role="status" data-testid="health" class={`health ${health.ready ? 'ready' : 'not-ready'}`} title={health.ready ? 'The store answers and the read model is caught up' : health.why}>
      {health.ready ? 'Ready' : `Not ready: ${health.why}`}
    </span>
  );
};
