import * as fs from 'node:fs';
import * as path from 'node:path';

/** Issue 13, items 2 and 7: the README's commands are safe to type as written. */
const readme = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
/** What a reader types: every line of a `sh` block, and the `$ ` lines of a transcript (the others are output). */
const commands = [...readme.matchAll(/```([a-z]*)\n([\s\S]*?)```/g)].flatMap(([, lang, body]) =>
  (body as string)
    .split('\n')
    .filter((l) => (lang === 'sh' ? l.trim() !== '' && !l.startsWith('#') : l.startsWith('$ ')))
    .map((l) => l.replace(/^\$ /, '')),
);

test('no command runs `npx ledger` (outside the repository it fetches an unrelated package); the ledger is node bin/ledger.js', () => {
  expect(commands.length).toBeGreaterThan(20);
  expect(commands.filter((c) => /\bnpx ledger\b/.test(c))).toEqual([]);
  expect(commands.filter((c) => /(^|[|;&(] *)ledger /.test(c))).toEqual([]);
  expect(commands.filter((c) => c.includes('bin/ledger.js')).length).toBeGreaterThan(5);
});

test('every file the walk-through writes goes to a temporary folder, not into the repository', () => {
  const written = commands.flatMap((c) => [...c.matchAll(/(?:-o|--out) +(\S+)/g)].map((m) => m[1] as string));
  expect(written.length).toBeGreaterThan(0);
  for (const file of written) expect(file).toMatch(/^\/tmp\//);
});

test('command-line months use the current alias; the walk-through records usage and switches overage', () => {
  const months = commands.flatMap((c) => [...c.matchAll(/--month +(\S+)/g)].map((m) => m[1] as string));
  expect(months.length).toBeGreaterThan(0);
  expect(new Set(months)).toEqual(new Set(['current']));
  expect(commands.some((c) => c.includes('/usage') && /"credits": "[0-9.]+", "requestId": "[^"]+"/.test(c))).toBe(true);
  expect(commands.some((c) => c.includes('-X PUT') && c.includes('/overage'))).toBe(true);
});
