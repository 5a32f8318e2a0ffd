import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/Either';
import { Locator, Page } from 'playwright-core';
import { TokenRegistry } from '../../src/auth/tokenRegistry';
import { startServerWithHistory, TestServer } from '../api/support/ledgerServer';
import { MINE, NOW, twoAccounts } from '../api/support/twoAccounts';
import { chromiumSuite, inChromium } from './support/inChromium';

/**
 * The console's actions in Chromium (issue 22): each one previewed (`?preview=true`), then
 * confirmed, and the page afterwards what the API's statement says; a refusal shows the API's
 * message and records nothing; a reader is offered nothing, an operator no credit; and the whole
 * of it works from the keyboard alone. The history is the console tests' (May 2026 open, April final).
 */
const suite = chromiumSuite('actions.browser');

const SCREENSHOTS = join(__dirname, '..', '..', 'artifacts', 'console-screenshots');
/** `UPDATE_DOCS_IMAGES=1 npx jest test/console/actions.browser.test.ts` also writes the README's screenshot of a preview. */
const DOCS_PREVIEW = join(__dirname, '..', '..', 'docs', 'img', 'console-preview.png');

const figure = (text: string | null): string => (text ?? '').replace(/[^0-9.-]/g, '');
const squash = (text: string) => text.replace(/\s+/g, ' ').trim();

interface Line {
  readonly kind: string;
  readonly tier: string;
  readonly amount: string;
}
interface UserStatement {
  readonly userId: string;
  readonly billedTier: string | null;
  readonly total: string;
  readonly lines: ReadonlyArray<Line>;
}
interface Statement {
  readonly month: string;
  readonly total: string;
  readonly users: ReadonlyArray<UserStatement>;
}

suite('actions in the console, in Chromium', () => {
  let server: TestServer;
  let page: Page;
  let bearer: Record<string, string> = {};
  const api = async (path: string): Promise<any> => {
    const answer = await server.request('GET', path, { headers: bearer });
    expect(answer.status).toBe(200);
    return answer.body;
  };
  const statement = (profileId: string, month: string): Promise<Statement> => api(`/v1/profiles/${profileId}/statements/${month}`);
  const logHead = async (): Promise<number> => (await api('/v1/log/head')).position;
  /** The profile's events (the log also holds the Idempotency-Key record of each confirmation). */
  const eventsOf = async (profileId: string): Promise<number> => (await api(`/v1/profiles/${profileId}/events?limit=1000`)).events.length;
  const open = async (path: string) => {
    await page.goto(`${server.base}${path}`);
    await page.getByTestId('users').waitFor();
  };
  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const isFocused = (l: Locator) => l.evaluate((el) => el === el.ownerDocument.activeElement);
  /** The element's text once it reads `expected`, else what it reads after 5 s: some texts are filled in after a fetch. */
  const textOnceItIs = async (l: Locator, expected: string): Promise<string | null> => {
    for (let i = 0; i < 50 && (await l.textContent()) !== expected; i++) await page.waitForTimeout(100);
    return l.textContent();
  };

  /** The users table and the total as shown, in the API's form. */
  const shown = async () => ({
    total: figure(await page.getByTestId('profile-total').textContent()),
    users: await page.locator('[data-testid=users] tbody tr[data-user]').evaluateAll((rows) =>
      rows.map((r) => [r.getAttribute('data-user'), r.querySelector('td')?.textContent ?? '', (r.querySelector('[data-testid=user-total]')?.textContent ?? '').replace(/[^0-9.-]/g, '')]),
    ),
  });
  const asShown = (s: Statement) => ({ total: s.total, users: s.users.map((u) => [u.userId, u.billedTier ?? '—', u.total]) });
  /** The page, once it has loaded again after a change, is the API's statement of its month. */
  const expectPageToBe = async (profileId: string, month: string) => {
    const expected = asShown(await statement(profileId, month));
    for (let i = 0; i < 50 && JSON.stringify(await shown()) !== JSON.stringify(expected); i++) await page.waitForTimeout(100);
    expect(await shown()).toEqual(expected);
  };
  /** What the confirmation step shows: the lines that change, and the totals now and after. */
  const previewShown = async () => ({
    lines: (await page.getByTestId('preview-lines').locator('tbody tr').allInnerTexts()).map(squash),
    totals: (await page.getByTestId('preview-totals').locator('tbody tr').allInnerTexts()).map(squash),
    rule: squash(await page.getByTestId('rule').innerText()),
  });
  const grouped = (a: string | undefined) => (a === undefined ? 'not billed' : a.replace(/\B(?=([0-9]{3})+(?![0-9]))/g, ','));
  const totalRow = (label: string, before: string | undefined, after: string | undefined) => `${label} ${grouped(before)} ${grouped(after)}`;
  const userTotal = (s: Statement, userId: string) => s.users.find((u) => u.userId === userId)?.total;

  beforeAll(() => mkdirSync(SCREENSHOTS, { recursive: true }));
  inChromium(
    () => startServerWithHistory(twoAccounts, NOW),
    (opened) => ({ server, page } = opened),
  );

  describe('in local mode (the local admin)', () => {
    test('upgrade: the preview shows the REFUND and the CHARGE, the totals before and after and the rule; confirmed, the page is the API statement', async () => {
      await open('/console/profiles/p-iad/2026-05');
      const before = await statement('p-iad', '2026-05');
      const [head, events] = [await logHead(), await eventsOf('p-iad')];
      await page.getByRole('button', { name: 'Upgrade…' }).click();
      const user = page.getByLabel('User', { exact: true });
      expect(await isFocused(user)).toBe(true);
      await user.fill('bob');
      expect(await textOnceItIs(page.locator('[id="action-user-hint"]'), 'bob holds direct: Pro.')).toBe('bob holds direct: Pro.');
      await page.getByLabel('Tier').selectOption('PRO_PLUS');
      await page.getByRole('button', { name: 'Preview', exact: true }).click();
      await page.getByTestId('confirm').waitFor();
      expect(await isFocused(page.getByRole('heading', { name: /^Preview: nothing is recorded/ }))).toBe(true);
      // What the API previews, read beside the page: the console shows it, not a figure of its own.
      const previewed: Statement = (await server.request('POST', '/v1/profiles/p-iad/subscriptions/bob/upgrade?preview=true', { body: { tier: 'PRO_PLUS' } })).body.statement;
      const { lines, totals, rule } = await previewShown();
      expect(lines).toEqual([expect.stringMatching(/^added bob REFUND PRO .* -20\.00$/), expect.stringMatching(/^added bob CHARGE PRO_PLUS .* 40\.00$/)]);
      expect(totals).toEqual([totalRow('bob', userTotal(before, 'bob'), userTotal(previewed, 'bob')), totalRow('Profile p-iad', before.total, previewed.total)]);
      expect(rule).toBe('Pro is refunded and Pro+ charged in full this month (rule M3).');
      expect(await logHead()).toBe(head);
      await page.getByTestId('action').screenshot({ path: join(SCREENSHOTS, 'preview-upgrade.png') });
      await page.getByRole('button', { name: 'Confirm: upgrade bob to Pro+' }).click();
      await page.getByTestId('action-done').waitFor();
      expect(await isFocused(page.getByTestId('action-done'))).toBe(true);
      expect(await eventsOf('p-iad')).toBe(events + 1);
      await expectPageToBe('p-iad', '2026-05');
      expect(asShown(await statement('p-iad', '2026-05'))).toEqual(asShown(previewed));
    });

    test('subscribe: a new user is charged the full month (M5)', async () => {
      await open('/console/profiles/p-iad/2026-05');
      const before = await statement('p-iad', '2026-05');
      await page.getByRole('button', { name: 'Subscribe a user…' }).click();
      await page.getByLabel('User', { exact: true }).fill('erin');
      await page.getByLabel('Group').fill('team-a');
      await page.getByLabel('Tier').selectOption('POWER');
      await page.getByRole('button', { name: 'Preview', exact: true }).click();
      await page.getByTestId('confirm').waitFor();
      const { lines, totals, rule } = await previewShown();
      expect(lines).toEqual([expect.stringMatching(/^added erin CHARGE POWER .* 200\.00$/)]);
      expect(totals[0]).toBe(totalRow('erin', undefined, '200.00'));
      expect(totals[1]).toMatch(new RegExp(`^Profile p-iad ${before.total} `));
      expect(rule).toBe('Power is charged in full for May 2026, whatever the day it starts (rule M5).');
      await page.getByRole('button', { name: 'Confirm: subscribe erin to Power' }).click();
      await page.getByTestId('action-done').waitFor();
      await expectPageToBe('p-iad', '2026-05');
      expect((await api('/v1/profiles/p-iad')).users.find((u: { userId: string }) => u.userId === 'erin').assignments).toEqual([{ groupId: 'team-a', tier: 'POWER' }]);
    });

    test('downgrade: no line changes, the higher tier stays paid this month (M4)', async () => {
      await open('/console/profiles/p-iad/2026-05');
      const before = await statement('p-iad', '2026-05');
      const events = await eventsOf('p-iad');
      await page.getByRole('button', { name: 'Downgrade…' }).click();
      await page.getByLabel('User', { exact: true }).fill('bob');
      await page.getByLabel('Tier').selectOption('PRO');
      await page.getByRole('button', { name: 'Preview', exact: true }).click();
      await page.getByTestId('confirm').waitFor();
      expect(await textOnceItIs(page.getByTestId('no-line-change'), 'No line of May 2026 changes.')).toBe('No line of May 2026 changes.');
      expect(squash(await page.getByTestId('rule').innerText())).toBe('Pro+ stays paid in full this month, and its credits stay until the month ends; the assignment is Pro from June 2026 (rule M4).');
      await page.getByRole('button', { name: 'Confirm: downgrade bob to Pro' }).click();
      await page.getByTestId('action-done').waitFor();
      expect(await eventsOf('p-iad')).toBe(events + 1);
      await expectPageToBe('p-iad', '2026-05');
      expect(asShown(await statement('p-iad', '2026-05'))).toEqual(asShown(before));
    });

    test('unsubscribe: the month stays paid, nothing from the next (M2)', async () => {
      await open('/console/profiles/p-iad/2026-05');
      await page.getByRole('button', { name: 'Unsubscribe…' }).click();
      await page.getByLabel('User', { exact: true }).fill('bob');
      await page.getByRole('button', { name: 'Preview', exact: true }).click();
      await page.getByTestId('confirm').waitFor();
      expect(squash(await page.getByTestId('rule').innerText())).toBe(
        'Pro+ stays paid in full, and the user keeps access and credits until the month ends; nothing is charged from June 2026 unless the user subscribes again (rule M2).',
      );
      await page.getByRole('button', { name: 'Confirm: unsubscribe bob' }).click();
      await page.getByTestId('action-done').waitFor();
      await expectPageToBe('p-iad', '2026-05');
      expect((await api('/v1/profiles/p-iad')).users.map((u: { userId: string }) => u.userId)).not.toContain('bob');
    });

    test('the overage switch: previewed and turned on, the profile says so', async () => {
      await open('/console/profiles/p-iad/2026-05');
      expect((await api('/v1/profiles/p-iad')).overage).toBe(false);
      await page.getByRole('button', { name: 'Turn overage on…' }).click();
      await page.getByRole('button', { name: 'Preview', exact: true }).click();
      await page.getByTestId('confirm').waitFor();
      expect(squash(await page.getByTestId('rule').innerText())).toMatch(/^Overage is on for every user of this profile: .* \(rules K3, K6\)\.$/);
      await page.getByRole('button', { name: 'Confirm: turn overage on' }).click();
      await page.getByTestId('action-done').waitFor();
      expect((await api('/v1/profiles/p-iad')).overage).toBe(true);
      await page.getByRole('button', { name: 'Turn overage off…' }).waitFor();
      await expectPageToBe('p-iad', '2026-05');
    });

    test("a refused action shows the API's message and records nothing", async () => {
      await open('/console/profiles/p-iad/2026-05');
      const before = await statement('p-iad', '2026-05');
      const head = await logHead();
      await page.getByRole('button', { name: 'Upgrade…' }).click();
      await page.getByLabel('User', { exact: true }).fill('alice');
      await page.getByLabel('Tier').selectOption('PRO');
      await page.getByRole('button', { name: 'Preview', exact: true }).click();
      const error = page.getByTestId('action-error');
      await error.waitFor();
      const refused = (await server.request('POST', '/v1/profiles/p-iad/subscriptions/alice/upgrade', { body: { tier: 'PRO' } })).body.error;
      expect(refused.code).toBe('NOT_AN_UPGRADE');
      expect(await error.textContent()).toBe(`${refused.code}: ${refused.message}`);
      expect(await isFocused(error)).toBe(true);
      expect(await page.getByTestId('confirm').count()).toBe(0);
      expect(await logHead()).toBe(head);
      expect(await statement('p-iad', '2026-05')).toEqual(before);
      await shot('action-refused');
      // Cancel: the form goes, the focus back to the button that opened it.
      await page.getByRole('button', { name: 'Cancel' }).click();
      expect(await page.getByTestId('action').count()).toBe(0);
      expect(await isFocused(page.getByRole('button', { name: 'Upgrade…' }))).toBe(true);
    });

    test('a past month offers no change but a link to the month changes land in', async () => {
      await open('/console/profiles/p-iad/2026-04');
      expect(await page.getByTestId('actions').count()).toBe(0);
      expect(squash(await page.getByTestId('actions-elsewhere').innerText())).toBe('Changes are dated now, in May 2026: make them on the page of May 2026.');
    });

    test('a credit on a final line: previewed on this month, confirmed, the line says it was credited and May shows the CREDIT line', async () => {
      const lineId = 'p-iad~2026-04~alice~3';
      const april = await statement('p-iad', '2026-04');
      expect(april.users.find((u) => u.userId === 'alice')?.lines[2]).toEqual(expect.objectContaining({ lineId, kind: 'CHARGE', tier: 'POWER' }));
      await open('/console/profiles/p-iad/2026-04');
      await page.getByRole('button', { name: 'alice' }).click();
      const row = page.locator(`[id="line-${lineId}"]`);
      await row.getByRole('button', { name: 'Credit…' }).click();
      const left = '200.00 of 200.00 left to credit.';
      expect(await textOnceItIs(page.locator(`[id="credit-amount-${lineId}-hint"]`), left)).toBe(left);
      await page.getByLabel('Amount (USD)').fill('12.5');
      await page.getByLabel('Reason').fill('outage on 2026-04-20');
      await page.getByRole('button', { name: 'Preview', exact: true }).click();
      await page.getByTestId('confirm').waitFor();
      const { lines, totals, rule } = await previewShown();
      const may = await statement('p-iad', '2026-05');
      expect(lines).toEqual([expect.stringMatching(/^added alice CREDIT POWER outage on 2026-04-20 .* -12\.50$/)]);
      expect(totals[0]).toMatch(new RegExp(`^alice ${userTotal(may, 'alice')} `));
      expect(rule).toBe(`The final bill of April 2026 stays as it was sent; the credit shows on this month’s statement as a CREDIT line against ${lineId} (rules N1, N3).`);
      await page.getByRole('button', { name: `Confirm: credit 12.5 on ${lineId}` }).click();
      await page.getByTestId('action-done').waitFor();
      await page.getByTestId('line-credits').waitFor();
      expect(squash(await page.getByTestId('line-credits').innerText())).toMatch(/^Credited 12\.50 of 200\.00, 187\.50 left: /);
      expect(await statement('p-iad', '2026-04')).toEqual(april);
      await page.getByTestId('action-done').getByRole('link', { name: 'the statement of May 2026' }).click();
      await page.getByTestId('users').waitFor();
      await expectPageToBe('p-iad', '2026-05');
    });

    test('a credit above what is left is refused with the API message, nothing recorded', async () => {
      const lineId = 'p-iad~2026-04~alice~3';
      await open('/console/profiles/p-iad/2026-04');
      await page.getByRole('button', { name: 'alice' }).click();
      await page.locator(`[id="line-${lineId}"]`).getByRole('button', { name: 'Credit…' }).click();
      const head = await logHead();
      await page.getByLabel('Amount (USD)').fill('500');
      await page.getByLabel('Reason').fill('too much');
      await page.getByRole('button', { name: 'Preview', exact: true }).click();
      const error = page.getByTestId('action-error');
      await error.waitFor();
      expect(await error.textContent()).toMatch(/^CREDIT_EXCEEDS_LINE: /);
      expect(await logHead()).toBe(head);
    });

    test('keyboard only: every form is reached with Tab and opened with Enter, and a subscription is previewed and confirmed without a mouse', async () => {
      await open('/console/profiles/p-fra/2026-05');
      const focused = () => page.evaluate<string>("document.activeElement?.textContent?.trim() ?? ''");
      /** Tab until `target` has the focus; it must be reached in the page's order. */
      const tabTo = async (target: Locator, limit = 80) => {
        for (let i = 0; i < limit; i++) {
          if (await isFocused(target)) return;
          await page.keyboard.press('Tab');
        }
        throw new Error(`not reached with ${limit} Tabs; the focus is on "${await focused()}"`);
      };
      await page.locator('body').focus();
      for (const opener of ['Subscribe a user…', 'Upgrade…', 'Downgrade…', 'Unsubscribe…', 'Turn overage off…']) {
        const button = page.getByRole('button', { name: opener });
        await tabTo(button);
        await page.keyboard.press('Enter');
        const form = page.getByTestId('action');
        await form.waitFor();
        // The focus is in the form, on its first field (the overage switch has none: its Preview button).
        expect(await form.evaluate((f) => f.contains(f.ownerDocument.activeElement) && f.ownerDocument.activeElement !== f)).toBe(true);
        await tabTo(page.getByRole('button', { name: 'Preview', exact: true }), 10);
        await tabTo(page.getByRole('button', { name: 'Cancel' }), 3);
        await page.keyboard.press('Space');
        expect(await form.count()).toBe(0);
        expect(await isFocused(button)).toBe(true);
      }

      // A whole flow: open with Enter, fill by typing, preview with Enter, confirm with Space.
      const events = await eventsOf('p-fra');
      await page.getByRole('button', { name: 'Subscribe a user…' }).focus();
      await page.keyboard.press('Enter');
      await page.keyboard.type('frank');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      // A closed select takes the first letters typed.
      await page.keyboard.type('Pro+');
      expect(await page.getByLabel('Tier').inputValue()).toBe('PRO_PLUS');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Enter');
      await page.getByTestId('confirm').waitFor();
      expect(await isFocused(page.getByRole('heading', { name: /^Preview: nothing is recorded/ }))).toBe(true);
      expect((await previewShown()).lines).toEqual([expect.stringMatching(/^added frank CHARGE PRO_PLUS .* 40\.00$/)]);
      await tabTo(page.getByRole('button', { name: 'Confirm: subscribe frank to Pro+' }), 10);
      await page.keyboard.press('Space');
      await page.getByTestId('action-done').waitFor();
      expect(await isFocused(page.getByTestId('action-done'))).toBe(true);
      expect(await eventsOf('p-fra')).toBe(events + 1);
      await expectPageToBe('p-fra', '2026-05');
      const head = await logHead();

      // The credit form of a final line, reached and opened from the keyboard too.
      await open('/console/profiles/p-fra/2026-04');
      await page.locator('body').focus();
      await tabTo(page.getByRole('button', { name: 'carol' }));
      await page.keyboard.press('Enter');
      const credit = page.locator('[id="line-p-fra~2026-04~carol~1"]').getByRole('button', { name: 'Credit…' });
      await tabTo(credit);
      await page.keyboard.press('Enter');
      expect(await isFocused(page.getByLabel('Amount (USD)'))).toBe(true);
      await page.keyboard.type('1');
      await page.keyboard.press('Tab');
      await page.keyboard.type('keyboard');
      await page.keyboard.press('Enter');
      await page.getByTestId('confirm').waitFor();
      await tabTo(page.getByRole('button', { name: 'Cancel' }), 10);
      await page.keyboard.press('Enter');
      expect(await isFocused(credit)).toBe(true);
      expect(await logHead()).toBe(head);
    });
  });

  describe('with tokens', () => {
    const tokens: Record<string, string> = {};
    beforeAll(async () => {
      const registry = new TokenRegistry(server.store);
      for (const [name, role] of [['reader', 'reader'], ['ops', 'operator'], ['admin', 'admin']] as const) {
        const created = await registry.create({ name, role, accounts: [MINE], rate: 10_000 }, { actor: 'test' });
        if (E.isLeft(created)) throw new Error(created.left.message);
        tokens[name] = created.right.token;
      }
      bearer = { authorization: `Bearer ${tokens.admin}` };
    });
    const signedIn = async (name: string, path: string) => {
      await page.goto(`${server.base}/console/`);
      await page.evaluate(`sessionStorage.setItem('ledger.token', ${JSON.stringify(tokens[name])})`);
      await open(path);
    };
    /** How many Credit buttons carol's lines of the final month show to the caller. */
    const creditButtonsOnCarolsFinalLine = async () => {
      await open('/console/profiles/p-fra/2026-04');
      await page.getByRole('button', { name: 'carol' }).click();
      await page.getByRole('button', { name: 'OVERAGE' }).waitFor();
      return page.getByRole('button', { name: 'Credit…' }).count();
    };

    test('a reader sees no action: no change on this month, no credit on a final line', async () => {
      await signedIn('reader', '/console/profiles/p-fra/2026-05');
      await page.getByRole('heading', { name: /^Users/ }).waitFor();
      expect(await page.getByTestId('actions').count()).toBe(0);
      expect(await page.getByTestId('actions-elsewhere').count()).toBe(0);
      expect(await page.getByRole('button', { name: /…$/ }).count()).toBe(0);
      expect(await creditButtonsOnCarolsFinalLine()).toBe(0);
    });

    test('an operator may change subscriptions but not credit', async () => {
      await signedIn('ops', '/console/profiles/p-fra/2026-05');
      await page.getByTestId('actions').waitFor();
      await page.getByRole('button', { name: 'Upgrade…' }).click();
      await page.getByLabel('User', { exact: true }).fill('carol');
      await page.getByLabel('Tier').selectOption('POWER');
      await page.getByRole('button', { name: 'Preview', exact: true }).click();
      await page.getByTestId('confirm').waitFor();
      expect(squash(await page.getByTestId('rule').innerText())).toMatch(/^Pro is refunded and Power charged in full this month \(rule M3\)\./);
      await page.getByTestId('actions').screenshot({ path: join(SCREENSHOTS, 'preview-operator.png') });
      if (process.env.UPDATE_DOCS_IMAGES === '1') copyFileSync(join(SCREENSHOTS, 'preview-operator.png'), DOCS_PREVIEW);
      await page.getByRole('button', { name: 'Confirm: upgrade carol to Power' }).click();
      await page.getByTestId('action-done').waitFor();
      await expectPageToBe('p-fra', '2026-05');
      const events = (await api('/v1/profiles/p-fra/events?limit=1000')).events;
      expect(events[events.length - 1].metadata.actor).toBe('ops');
      expect(await creditButtonsOnCarolsFinalLine()).toBe(0);
    });

    test('an admin may credit a final line', async () => {
      await signedIn('admin', '/console/profiles/p-fra/2026-04');
      await page.getByRole('button', { name: 'carol' }).click();
      expect(await page.getByRole('button', { name: 'Credit…' }).count()).toBeGreaterThan(0);
    });
  });
});
