import { Page } from 'playwright-core';
import { startServerWithHistory, TestServer } from '../api/support/ledgerServer';
import { chromiumSuite, inChromium } from './support/inChromium';

/**
 * Credit notes in the console, in Chromium: a CREDIT line on the profile page, the account page and
 * the invoice links to the line it credits on that line's month, and the credited line says so on
 * its own page, through the line's credits route (the final statement itself is not changed).
 */
const suite = chromiumSuite('credits.browser');

const ACCOUNT = '111122223333';
const NOW = new Date('2026-04-10T12:00:00.000Z');
const history = [
  { type: 'CreateProfile', profileId: 'p-1', accountId: ACCOUNT, region: 'us-east-1', occurredAt: '2026-03-01T09:00:00Z' },
  { type: 'Subscribe', profileId: 'p-1', userId: 'alice', tier: 'PRO_PLUS', occurredAt: '2026-03-01T09:05:00Z' },
  { type: 'Subscribe', profileId: 'p-1', userId: 'bob', tier: 'PRO', occurredAt: '2026-03-01T09:06:00Z' },
  { type: 'SetOverage', profileId: 'p-1', enabled: true, occurredAt: '2026-03-10T09:00:00Z' },
  { type: 'ConsumeCredits', profileId: 'p-1', userId: 'alice', credits: '2500', requestId: 'r-1', occurredAt: '2026-03-12T09:00:00Z' },
  { type: 'Unsubscribe', profileId: 'p-1', userId: 'bob', occurredAt: '2026-03-20T09:00:00Z' },
  { type: 'IssueCredit', profileId: 'p-1', lineId: 'p-1~2026-03~alice~2', amount: '20.00', reason: 'runaway agent', occurredAt: '2026-04-02T10:00:00Z' },
  { type: 'IssueCredit', profileId: 'p-1', lineId: 'p-1~2026-03~bob~1', amount: '5.00', reason: 'goodwill', occurredAt: '2026-04-03T10:00:00Z' },
];

const figure = (text: string | null): string => (text ?? '').replace(/[^0-9.-]/g, '');
const squash = (texts: ReadonlyArray<string>) => texts.map((t) => t.replace(/\s+/g, ' ').trim());

suite('credit notes in the console', () => {
  let server: TestServer;
  let page: Page;
  inChromium(
    () => startServerWithHistory(history, NOW),
    (opened) => ({ server, page } = opened),
  );

  test('a CREDIT line links to the line it credits, whose page opens at it and says it was credited', async () => {
    const march = (await server.request('GET', '/v1/profiles/p-1/statements/2026-03')).text;
    await page.goto(`${server.base}/console/profiles/p-1/2026-04`);
    await page.getByRole('button', { name: 'alice' }).click();
    const credit = page.locator('tr.line.credit');
    expect(squash(await credit.locator('td').allInnerTexts())).toEqual([
      'CREDIT',
      'PRO_PLUS',
      'runaway agent (credits p-1~2026-03~alice~2 of March 2026)',
      '2026-04-02 10:00:00Z',
      '-20.00',
    ]);
    await credit.getByRole('link', { name: 'p-1~2026-03~alice~2' }).click();
    await page.getByTestId('line-credits').waitFor();
    const url = new URL(page.url());
    expect([url.pathname, decodeURIComponent(url.hash)]).toEqual(['/console/profiles/p-1/2026-03', '#line-p-1~2026-03~alice~2']);
    const credited = page.locator('[id="line-p-1~2026-03~alice~2"]');
    expect(await credited.getAttribute('class')).toMatch(/\btarget\b/);
    expect(squash([await credited.getByTestId('line-credits').innerText()])).toEqual(['Credited 20.00 of 20.00, 0.00 left: p-1~2026-04~alice~2 (20.00, runaway agent)']);
    // Only the credited line says so; the final statement is what it was.
    expect(await page.getByTestId('line-credits').count()).toBe(1);
    expect((await server.request('GET', '/v1/profiles/p-1/statements/2026-03')).text).toBe(march);
    // And back: the credit note's own link leads to the CREDIT line.
    await credited.getByTestId('line-credits').getByRole('link').click();
    await page.locator('tr.line.credit.target').waitFor();
    expect(new URL(page.url()).pathname).toBe('/console/profiles/p-1/2026-04');
  });

  test('a user whose only line is a CREDIT is shown billed nothing, with a negative total', async () => {
    await page.goto(`${server.base}/console/profiles/p-1/2026-04`);
    const bob = page.locator('tr[data-user="bob"]');
    await bob.waitFor();
    expect(await bob.locator('td').first().innerText()).toBe('—');
    expect(figure(await bob.getByTestId('user-total').textContent())).toBe('-5.00');
    const statement = (await server.request('GET', '/v1/profiles/p-1/statements/2026-04')).body;
    expect(figure(await page.getByTestId('profile-total').textContent())).toBe(statement.total);
  });

  test('the account page lists the month\'s credit notes, each linking to the line it credits', async () => {
    await page.goto(`${server.base}/console/accounts/${ACCOUNT}/2026-04`);
    const notes = page.getByTestId('credit-notes');
    await notes.waitFor();
    expect(squash(await notes.locator('tbody tr').allInnerTexts())).toEqual([
      'p-1 alice runaway agent p-1~2026-03~alice~2 -20.00',
      'p-1 bob goodwill p-1~2026-03~bob~1 -5.00',
    ]);
    await notes.getByRole('link', { name: 'p-1~2026-03~bob~1' }).click();
    await page.getByTestId('line-credits').waitFor();
    expect(squash([await page.getByTestId('line-credits').innerText()])).toEqual(['Credited 5.00 of 20.00, 15.00 left: p-1~2026-04~bob~1 (5.00, goodwill)']);
  });

  test('the invoice shows each CREDIT line, naming and linking the line it credits, in the totals', async () => {
    await page.goto(`${server.base}/console/accounts/${ACCOUNT}/2026-04/invoice`);
    await page.getByTestId('invoice-total').waitFor();
    const account = (await server.request('GET', `/v1/accounts/${ACCOUNT}/statements/2026-04`)).body;
    expect(figure(await page.getByTestId('invoice-total').textContent())).toBe(account.total);
    const lines = squash(await page.locator('.invoice-lines tbody tr').allInnerTexts());
    expect(lines).toContain('CREDIT PRO_PLUS: runaway agent (credits p-1~2026-03~alice~2) 2026-04-02 -20.00');
    expect(lines).toContain('bob CREDIT PRO: goodwill (credits p-1~2026-03~bob~1) 2026-04-03 -5.00');
    expect(await page.locator('.invoice-lines a[href$="#line-p-1~2026-03~bob~1"]').count()).toBe(1);
  });
});
