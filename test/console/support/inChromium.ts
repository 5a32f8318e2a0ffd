import { Page } from 'playwright-core';
import { Browser, chromiumMissing, launchChromium } from '../../../bench/chromium';
import { TestServer } from '../../api/support/ledgerServer';

/** `describe` where Debian's Chromium is installed, else `describe.skip`, saying why on stderr (not console.log: jest hides a skipped file's console). */
export const chromiumSuite = (name: string): jest.Describe => {
  const skip = chromiumMissing();
  if (skip !== undefined) process.stderr.write(`[${name}] skipped: ${skip}\n`);
  return skip === undefined ? describe : describe.skip;
};

/**
 * One browser and one page for a test file, on the server `start` gives (closed after the file); a
 * script error in the page fails the test that caused it, even when what it checks still showed.
 */
export const inChromium = (start: () => Promise<TestServer>, opened: (o: { readonly server: TestServer; readonly page: Page }) => void): void => {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  const pageErrors: string[] = [];
  beforeAll(async () => {
    server = await start();
    browser = await launchChromium();
    const page = await browser.context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    opened({ server, page });
  });
  afterEach(() => expect(pageErrors.splice(0)).toEqual([]));
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
};
