import * as fs from 'node:fs';
import * as path from 'node:path';
import * as semver from 'semver';

/** Issue 13, items 8 and 10: what `npm ci` installs, and what the image runs. */
const ROOT = path.resolve(__dirname, '../..');
const read = (file: string): string => fs.readFileSync(path.join(ROOT, file), 'utf8');

describe('npm ci', () => {
  test('every locked package admits the Node 20 running the tests (npm ci prints no EBADENGINE)', () => {
    expect(semver.satisfies(process.version, JSON.parse(read('package.json')).engines.node)).toBe(true);
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { version?: string; engines?: { node?: string } | string[] }> };
    const refusing = Object.entries(lock.packages).flatMap(([name, p]) => {
      const range = Array.isArray(p.engines) ? undefined : p.engines?.node;
      return range === undefined || semver.satisfies(process.version, range) ? [] : [`${name}@${p.version}: node ${range}`];
    });
    expect(refusing).toEqual([]);
  });

  test('npm start runs node in place of the shell, so that npm passes SIGTERM to the server itself', () => {
    expect(JSON.parse(read('package.json')).scripts.start).toBe('exec node bin/ledger.js serve');
  });
});

describe('the Docker image', () => {
  const dockerfile = read('Dockerfile');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const final = stages[stages.length - 1] ?? '';

  test('builds in one stage and runs from another, with production dependencies only', () => {
    expect(stages.length).toBe(2);
    expect(stages[0]).toMatch(/RUN npm ci\b.*&& npm prune --omit=dev/);
    expect(final).toMatch(/COPY --from=build \/app\/node_modules/);
    expect(final).not.toMatch(/npm (ci|install)/);
  });

  test('runs node directly as a user other than root', () => {
    const users = [...final.matchAll(/^USER (\S+)/gm)].map((m) => m[1]);
    expect(users.length).toBeGreaterThan(0);
    expect(users[users.length - 1]).not.toMatch(/^(root|0)$/);
    expect(final).toMatch(/^CMD \["node", "bin\/ledger\.js", "serve"\]$/m);
  });

  test('.dockerignore keeps dependencies, build output, stores, git and secrets out of the context', () => {
    const ignored = read('.dockerignore').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['.git', 'node_modules', 'dist', 'data', '*.db', '.env']));
  });
});
