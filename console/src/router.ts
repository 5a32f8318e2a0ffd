import { useEffect, useState } from 'preact/hooks';

/** The console's pages, each a deep link under /console/ (the server answers index.html for all of them). */
export type Route =
  | { readonly page: 'accounts' }
  | { readonly page: 'account'; readonly accountId: string; readonly month: string }
  | { readonly page: 'invoice'; readonly accountId: string; readonly month: string }
  | { readonly page: 'profile'; readonly profileId: string; readonly month: string }
  | { readonly page: 'webhooks' }
  | { readonly page: 'notFound'; readonly path: string };

export const BASE = '/console';
/** `current` is the API's alias for the server clock's month; pages replace it by the month the API answers. */
export const CURRENT = 'current';
const MONTH = '([0-9]{4}-[0-9]{2}|current)';
const ID = '([^/]+)';

const patterns: ReadonlyArray<readonly [RegExp, (m: RegExpExecArray) => Route]> = [
  [/^\/?$/, () => ({ page: 'accounts' })],
  [/^\/accounts\/?$/, () => ({ page: 'accounts' })],
  [/^\/webhooks\/?$/, () => ({ page: 'webhooks' })],
  [new RegExp(`^/accounts/${ID}/?$`), (m) => ({ page: 'account', accountId: dec(m[1]), month: CURRENT })],
  [new RegExp(`^/accounts/${ID}/${MONTH}/?$`), (m) => ({ page: 'account', accountId: dec(m[1]), month: dec(m[2]) })],
  [new RegExp(`^/accounts/${ID}/${MONTH}/invoice/?$`), (m) => ({ page: 'invoice', accountId: dec(m[1]), month: dec(m[2]) })],
  [new RegExp(`^/profiles/${ID}/?$`), (m) => ({ page: 'profile', profileId: dec(m[1]), month: CURRENT })],
  [new RegExp(`^/profiles/${ID}/${MONTH}/?$`), (m) => ({ page: 'profile', profileId: dec(m[1]), month: dec(m[2]) })],
];

const dec = (s: string | undefined): string => decodeURIComponent(s ?? '');

export const routeOf = (pathname: string): Route => {
  const path = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  for (const [re, make] of patterns) {
    const m = re.exec(path);
    if (m !== null) return make(m);
  }
  return { page: 'notFound', path: pathname };
};

const enc = encodeURIComponent;
export const hrefs = {
  accounts: () => `${BASE}/accounts`,
  webhooks: () => `${BASE}/webhooks`,
  account: (accountId: string, month: string) => `${BASE}/accounts/${enc(accountId)}/${month}`,
  invoice: (accountId: string, month: string) => `${BASE}/accounts/${enc(accountId)}/${month}/invoice`,
  profile: (profileId: string, month: string) => `${BASE}/profiles/${enc(profileId)}/${month}`,
  /** A line on its profile's page of its month, `{profileId}~{YYYY-MM}~{userId}~{n}`: the page opens its user's lines at it. */
  line: (lineId: string) => {
    const [profileId = '', month = ''] = lineId.split('~');
    return `${BASE}/profiles/${enc(profileId)}/${month}#${lineAnchor(lineId)}`;
  },
};

/** Line ids have no spaces, so each is an HTML id as it is. */
export const lineAnchor = (lineId: string) => `line-${lineId}`;

const listeners = new Set<() => void>();

/** Client-side navigation: the URL changes, the page is drawn anew, nothing is reloaded. */
export const navigate = (href: string, replace = false) => {
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  for (const l of listeners) l();
};

export const useRoute = (): Route => {
  const [route, setRoute] = useState(() => routeOf(location.pathname));
  useEffect(() => {
    const update = () => setRoute(routeOf(location.pathname));
    listeners.add(update);
    addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      removeEventListener('popstate', update);
    };
  }, []);
  return route;
};

/** Plain links stay links (middle click, copy, keyboard); a left click inside the console navigates in place. */
export const interceptLinks = () => {
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element | null)?.closest('a');
    if (a === null || a === undefined || a.target !== '' || a.hasAttribute('download') || a.origin !== location.origin || !a.pathname.startsWith(`${BASE}/`)) return;
    // A jump within the page (a refund to its charge) is the browser's own.
    if (a.pathname === location.pathname && a.search === location.search && a.hash !== '') return;
    e.preventDefault();
    // The hash goes along: a link to a line on another page opens that page at the line.
    navigate(a.pathname + a.search + a.hash);
  });
};
