import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/Either';
import { Page } from 'playwright-core';
import { TokenRegistry } from '../../src/auth/tokenRegistry';
import { startServerWithHistory, TestServer } from '../api/support/ledgerServer';
import { DeliveryWorker } from '../../src/webhooks/deliveryWorker';
import { httpSend } from '../../src/webhooks/webhookSender';
import { WebhookRegistry } from '../../src/webhooks/webhookRegistry';
import { startReceiver } from '../webhooks/receiver';
import { MINE, NOW, OTHER, twoAccounts } from '../api/support/twoAccounts';
import { chromiumSuite, inChromium } from './support/inChromium';

/**
 * The console in a real browser (Debian's Chromium through playwright-core), on a real server over a
 * seeded store: what the pages show is what the API answers. One browser for the whole file.
 */

const suite = chromiumSuite('console.browser');

/** Git-ignored: what the pages looked like on the last run, for people. */
const SCREENSHOTS = join(__dirname, '..', '..', 'artifacts', 'console-screenshots');


/** The figures as the page shows them, back in the API's form: thousands separators dropped. */
const figure = (text: string | null): string => (text ?? '').replace(/[^0-9.-]/g, '');

suite('the console in Chromium', () => {
  let server: TestServer;
  let page: Page;
  const api = async (path: string, token?: string) => {
    const answer = await server.request('GET', path, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
    expect(answer.status).toBe(200);
    return answer;
  };
  const open = async (path: string) => {
    await page.goto(`${server.base}${path}`);
  };
  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

  beforeAll(() => mkdirSync(SCREENSHOTS, { recursive: true }));
  inChromium(
    () => startServerWithHistory(twoAccounts, NOW),
    (opened) => ({ server, page } = opened),
  );

  describe('in local mode (no tokens)', () => {
    test('/ opens the accounts the caller may see', async () => {
      await open('/');
      expect(new URL(page.url()).pathname).toBe('/console/');
      await page.getByRole('heading', { name: 'Accounts' }).waitFor();
      const listed = await page.locator('tbody th a').allTextContents();
      const accounts = (await api('/v1/accounts')).body.accounts.map((a: { accountId: string }) => a.accountId);
      expect(listed).toEqual(accounts);
    });

    test('the header shows the server health that /readyz answers', async () => {
      await open('/console/');
      const health = page.getByTestId('health');
      await health.waitFor();
      expect((await api('/readyz')).body.status).toBe('ready');
      expect(await health.textContent()).toBe('Ready');
    });

    test("every total on the account page is the API's; users in several profiles are listed; the chart has 12 months", async () => {
      await open(`/console/accounts/${MINE}/2026-04`);
      await page.getByTestId('profiles').waitFor();
      const statement = (await api(`/v1/accounts/${MINE}/statements/2026-04`)).body;
      expect(figure(await page.getByTestId('account-total').textContent())).toBe(statement.total);
      const rows = await page.getByTestId('profiles').locator('tbody tr').all();
      const shown = await Promise.all(rows.map(async (r) => [await r.locator('th').textContent(), await r.locator('td').nth(0).textContent(), figure(await r.locator('td').nth(1).textContent())]));
      expect(shown).toEqual(statement.profiles.map((p: { profileId: string; region: string; total: string }) => [p.profileId, p.region, p.total]));
      expect(figure(await page.getByTestId('profiles').locator('tfoot td').textContent())).toBe(statement.total);
      const several = await page.getByTestId('several').locator('tbody tr').allInnerTexts();
      expect(several.map((t) => t.replace(/\s+/g, ' ').trim())).toEqual(
        statement.usersInSeveralProfiles.map((u: { userId: string; profiles: string[] }) => `${u.userId} ${u.profiles.join(', ')}`),
      );
      await page.locator('.chart canvas').first().waitFor();
      const chartRows = await page.locator('.chart table tbody tr').allInnerTexts();
      expect(chartRows).toHaveLength(12);
      expect(chartRows[11]).toMatch(new RegExp(`^April 2026\\s+${statement.total.replace('.', '\\.')}$`));
      expect(chartRows[0]).toMatch(/^May 2025\s+nothing billed$/);
      // Figures arriving do not push the page around: cumulative layout shift under 0.1 ("good").
      const shift = await page.evaluate<number>(
        `new Promise((done) => {
          let sum = 0;
          new PerformanceObserver((list) => list.getEntries().forEach((e) => (sum += e.value))).observe({ type: 'layout-shift', buffered: true });
          setTimeout(() => done(sum), 200);
        })`,
      );
      expect(shift).toBeLessThan(0.1);
      await shot('account');
    });

    test("every total on the profile page is the API's, and a line opens to the events it cites", async () => {
      await open('/console/profiles/p-fra/2026-04');
      await page.getByTestId('users').waitFor();
      const statement = (await api('/v1/profiles/p-fra/statements/2026-04')).body;
      expect(figure(await page.getByTestId('profile-total').textContent())).toBe(statement.total);
      const totals = await page.getByTestId('user-total').allTextContents();
      expect(totals.map(figure)).toEqual(statement.users.map((u: { total: string }) => u.total));

      const carol = statement.users.find((u: { userId: string }) => u.userId === 'carol');
      const overage = carol.lines.find((l: { kind: string }) => l.kind === 'OVERAGE');
      // Keyboard only: the user's row, then the line, open with Enter.
      await page.getByRole('button', { name: 'carol' }).focus();
      await page.keyboard.press('Enter');
      await page.getByRole('button', { name: 'OVERAGE' }).focus();
      await page.keyboard.press('Enter');
      const trail = page.getByTestId('audit');
      await trail.locator('tbody tr').first().waitFor();
      const cited = (await api(`/v1/profiles/p-fra/statements/2026-04/lines/${encodeURIComponent(overage.lineId)}/events`)).body.events;
      const rows = await trail.locator('tbody tr').all();
      const shown = await Promise.all(rows.map(async (r) => (await r.locator('td').allTextContents()).slice(0, 3)));
      expect(shown).toEqual(cited.map((e: { type: string; streamId: string; position: number }) => [e.type, e.streamId, String(e.position)]));
      expect(await trail.locator('tbody tr').first().locator('td').nth(4).textContent()).toBe('local');
      await shot('profile');
    });

    test('a profile of many users is shown 100 users a page, the totals of the whole profile above every page', async () => {
      const users = Array.from({ length: 230 }, (_, i) => `u-${String(i).padStart(3, '0')}`);
      const many = await startServerWithHistory(
        [
          { type: 'CreateProfile', profileId: 'p-many', accountId: MINE, region: 'us-west-2', occurredAt: '2026-04-01T09:00:00Z' },
          ...users.map((userId, i) => ({ type: 'Subscribe', profileId: 'p-many', userId, tier: i % 2 === 0 ? 'PRO' : 'POWER', occurredAt: '2026-04-02T09:00:00Z' })),
        ],
        NOW,
      );
      try {
        const requested: string[] = [];
        page.on('request', (r) => requested.push(r.url()));
        await page.goto(`${many.base}/console/profiles/p-many/2026-04`);
        const shownIds = async () => page.locator('[data-testid=users] tbody tr[data-user]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-user')));
        await page.getByTestId('users').waitFor();
        const whole = (await many.request('GET', '/v1/profiles/p-many/statements/2026-04')).body;
        expect(figure(await page.getByTestId('profile-total').textContent())).toBe(whole.total);
        expect(await page.getByRole('heading', { name: 'Users (230)' }).count()).toBe(1);
        expect(await shownIds()).toEqual(users.slice(0, 100));
        expect(await page.getByTestId('users-shown').textContent()).toBe('1–100 of 230');
        await page.getByRole('button', { name: 'Next users' }).click();
        await page.getByText('101–200 of 230').waitFor();
        expect(await shownIds()).toEqual(users.slice(100, 200));
        await page.getByRole('button', { name: 'Next users' }).click();
        await page.getByText('201–230 of 230').waitFor();
        expect(await shownIds()).toEqual(users.slice(200));
        expect(await page.getByRole('button', { name: 'Next users' }).isDisabled()).toBe(true);
        expect(figure(await page.getByTestId('profile-total').textContent())).toBe(whole.total);
        await page.getByRole('button', { name: 'Previous users' }).click();
        await page.getByText('101–200 of 230').waitFor();
        // Never the whole statement: every statement request of the page asked for a page.
        const statementRequests = requested.filter((u) => u.includes('/statements/2026-04'));
        expect(statementRequests.length).toBeGreaterThanOrEqual(4);
        expect(statementRequests.every((u) => new URL(u).searchParams.get('limit') === '100')).toBe(true);
      } finally {
        page.removeAllListeners('request');
        await many.close();
      }
    });

    test('a refund points to the charge it reverses', async () => {
      await open('/console/profiles/p-iad/2026-04');
      await page.getByRole('button', { name: 'alice' }).click();
      const refund = page.locator('tr.line.refund');
      const reverses = refund.getByRole('link');
      const target = decodeURIComponent((await reverses.getAttribute('href')) ?? '').replace(/^#/, '');
      await reverses.click();
      expect(decodeURIComponent(new URL(page.url()).hash.slice(1))).toBe(target);
      const charge = page.locator(`[id="${target}"]`);
      expect(await charge.locator('td').first().textContent()).toBe('CHARGE');
      expect(await charge.locator('td').last().textContent()).toBe('20.00');
    });

    test('the month picker moves back, forth and to the current month', async () => {
      await open(`/console/accounts/${MINE}/2026-04`);
      await page.getByRole('link', { name: /March 2026/ }).click();
      await page.waitForURL(`**/console/accounts/${MINE}/2026-03`);
      await page.getByRole('heading', { name: /March 2026/ }).waitFor();
      expect(figure(await page.getByTestId('account-total').textContent())).toBe((await api(`/v1/accounts/${MINE}/statements/2026-03`)).body.total);
      await page.getByRole('link', { name: /April 2026/ }).first().click();
      await page.waitForURL(`**/console/accounts/${MINE}/2026-04`);
      await page.getByRole('link', { name: 'Current month' }).click();
      await page.waitForURL(`**/console/accounts/${MINE}/2026-05`);
      await page.getByRole('heading', { name: /May 2026/ }).waitFor();
      expect(await page.locator('.badge').textContent()).toBe('open');
    });

    test('the CSV download is the API export', async () => {
      await open(`/console/accounts/${MINE}/2026-04`);
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
      expect(download.suggestedFilename()).toBe(`kiro-${MINE}-2026-04.csv`);
      const path = await download.path();
      expect(readFileSync(path, 'utf8')).toBe((await api(`/v1/exports/2026-04.csv?accountId=${MINE}`)).text);
    });

    test('the invoice lists every line by profile and user, with the totals, and prints without the console around it', async () => {
      await open(`/console/accounts/${MINE}/2026-04/invoice`);
      await page.getByTestId('invoice-total').waitFor();
      const account = (await api(`/v1/accounts/${MINE}/statements/2026-04`)).body;
      expect(figure(await page.getByTestId('invoice-total').textContent())).toBe(account.total);
      const subtotals = await page.locator('tr.subtotal td').allTextContents();
      expect(subtotals.map(figure)).toEqual(account.profiles.map((p: { total: string }) => p.total));
      let lines = 0;
      for (const p of account.profiles) lines += (await api(`/v1/profiles/${p.profileId}/statements/2026-04`)).body.users.flatMap((u: { lines: unknown[] }) => u.lines).length;
      expect(await page.locator('.invoice-lines tbody tr:not(.group):not(.subtotal)').count()).toBe(lines);
      await page.emulateMedia({ media: 'print' });
      expect(await page.locator('header.top').isVisible()).toBe(false);
      expect(await page.getByRole('button', { name: /Print/ }).isVisible()).toBe(false);
      await shot('invoice-print');
      await page.emulateMedia({ media: 'screen' });
    });

    test("the webhooks page lists each endpoint's recent deliveries as the API has them", async () => {
      const receiver = await startReceiver();
      try {
        let calls = 0;
        receiver.answer = () => (++calls === 1 ? 500 : 200);
        const policy = { allowPrivate: true };
        const registry = new WebhookRegistry(server.store, policy);
        const created = await registry.register({ url: receiver.url, events: ['credits.threshold'], accountId: MINE }, { actor: 'test' });
        if (E.isLeft(created)) throw new Error(created.left.message);
        const worker = new DeliveryWorker(server.store, registry, { node: 'console-test', clock: () => new Date(), send: httpSend(policy, 15_000) });
        const used = await server.request('POST', '/v1/profiles/p-iad/usage', { body: { userId: 'bob', credits: '1000', requestId: 'wh-1' } });
        expect(used.status).toBe(201);
        await worker.runOnce();
        await worker.settled();
        await open('/console/webhooks');
        const table = page.getByTestId(`deliveries-${created.right.id}`);
        await table.waitFor();
        const listed = (await api(`/v1/webhooks/${created.right.id}/deliveries`)).body.deliveries;
        const rows = await table.locator('tbody tr').all();
        const shown = await Promise.all(rows.map(async (r) => [await r.locator('th').textContent(), ...(await r.locator('td').allTextContents()).slice(0, 4)]));
        expect(shown).toEqual(listed.map((d: { messageId: string; type: string; status: string; attempts: number }) => [d.messageId, d.type, d.status, String(d.attempts), 'HTTP 500']));
        // In order: the 100 % waits behind the 80 %, whose first attempt failed.
        expect(shown).toEqual([[expect.stringMatching(/threshold\.80$/), 'credits.threshold', 'retrying', '1', 'HTTP 500']]);
        await shot('webhooks');
      } finally {
        await receiver.close();
      }
    });

    test('at 390 px wide nothing but the tables scrolls sideways', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      try {
        await open('/console/profiles/p-fra/2026-04');
        await page.getByTestId('users').waitFor();
        expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
        await shot('profile-390');
      } finally {
        await page.setViewportSize({ width: 1400, height: 900 });
      }
    });

    test('a sealed month shows as sealed, with its digest and how to verify the bill', async () => {
      await open('/console/profiles/p-fra/2026-04');
      await page.getByTestId('users').waitFor();
      expect(await page.getByTestId('seal').count()).toBe(0);
      // Months after their seal delay: sealing is what ledger serve does in the background.
      await server.ledger.sealDue(0);
      const { seal } = (await api('/v1/profiles/p-fra/statements/2026-04')).body;
      await open('/console/profiles/p-fra/2026-04');
      await page.getByTestId('seal').waitFor();
      expect(await page.getByTestId('seal-digest').textContent()).toBe(seal.sha256);
      await page.getByText('How to verify this bill').click();
      expect(await page.getByTestId('seal-command').textContent()).toBe(`ledger verify --trusted ${seal.logPosition}:${seal.chainHash}`);
      await shot('profile-sealed');
    });
  });

  describe('with tokens', () => {
    const tokens: Record<string, string> = {};
    beforeAll(async () => {
      const registry = new TokenRegistry(server.store);
      for (const [name, accounts] of [['everyone', 'all'], ['mine', [MINE]]] as const) {
        const created = await registry.create({ name, role: 'reader', accounts, rate: 10_000 }, { actor: 'test' });
        if (E.isLeft(created)) throw new Error(created.left.message);
        tokens[name] = created.right.token;
      }
    });
    const signIn = async (token: string) => {
      await page.getByLabel('API token').fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
    };

    test('the console asks for a token, refuses a wrong one, and keeps a right one for the tab', async () => {
      await open(`/console/accounts/${MINE}/2026-04`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await signIn(`ldg_${'A'.repeat(43)}`);
      await page.getByText('did not accept that token').waitFor();
      await signIn(tokens.everyone as string);
      await page.getByTestId('account-total').waitFor();
      expect(await page.evaluate<string | null>("sessionStorage.getItem('ledger.token')")).toBe(tokens.everyone);
      await open(`/console/accounts/${OTHER}/2026-04`);
      await page.getByTestId('account-total').waitFor();
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      expect(await page.evaluate<string | null>("sessionStorage.getItem('ledger.token')")).toBeNull();
    });

    test('a reader of one account sees only that one, and is told so for another', async () => {
      await open('/console/accounts');
      await signIn(tokens.mine as string);
      await page.getByRole('heading', { name: 'Accounts' }).waitFor();
      await page.locator('tbody th a').first().waitFor();
      expect(await page.locator('tbody th a').allTextContents()).toEqual([MINE]);

      await open(`/console/accounts/${OTHER}/2026-04`);
      const denied = page.getByRole('alert');
      await denied.waitFor();
      expect(await denied.textContent()).toContain(`may not see account ${OTHER}`);
      expect(await denied.getByRole('link').allTextContents()).toEqual([MINE]);
      expect(await page.getByTestId('account-total').count()).toBe(0);
      await shot('denied');

      await open('/console/profiles/p-gov/2026-04');
      await page.getByRole('alert').waitFor();
      expect(await page.getByRole('alert').textContent()).toContain('may not see profile p-gov');
    });
  });
});
