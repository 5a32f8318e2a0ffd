import { commandRoutes } from '../../src/api/commandRoutes';
import { openApiDocument } from '../../src/api/openapi';
import { queryRoutes } from '../../src/api/queryRoutes';
import { tokenRoutes } from '../../src/api/tokenRoutes';
import { webhookRoutes } from '../../src/api/webhookRoutes';
import { runCli } from '../../src/cli/main';

/** Issue 13, item 5: what users read says the rules in words; the rule numbers (M3, K2 …) stay in tests and docs/. */
const RULE_CODE = /\b[CPTMLK][0-9]\b/;

const helpOf = async (argv: ReadonlyArray<string>): Promise<string> => {
  let text = '';
  await runCli(argv, { out: (t) => (text += t), err: (t) => (text += t), env: {} });
  return text;
};

test('no help text names a rule by its code', async () => {
  const overview = await helpOf(['--help']);
  const names = [...overview.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1] as string);
  expect(names).toEqual(expect.arrayContaining(['statement', 'subscribe', 'usage', 'overage', 'line', 'events']));
  for (const name of names) {
    const help = await helpOf([name, '--help']);
    expect(help).toMatch(new RegExp(`^Usage: ledger ${name}`));
    expect({ name, code: RULE_CODE.exec(help)?.[0] }).toEqual({ name, code: undefined });
  }
});

test('no OpenAPI summary or description names a rule by its code', () => {
  const document = openApiDocument(commandRoutes, queryRoutes, tokenRoutes, webhookRoutes);
  const texts: string[] = [];
  const collect = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(collect);
    else if (typeof node === 'object' && node !== null) {
      for (const [key, value] of Object.entries(node)) {
        if ((key === 'summary' || key === 'description') && typeof value === 'string') texts.push(value);
        else collect(value);
      }
    }
  };
  collect(document);
  expect(texts.length).toBeGreaterThan(10);
  expect(texts.filter((t) => RULE_CODE.test(t))).toEqual([]);
});
