import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The browser console (docs/console.md): the files `npm run build` puts in dist/console, served under
 * /console/. They are few and small, so they are read once at start-up, gzipped once, and kept in memory.
 */
export const CONSOLE_PREFIX = '/console';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** Everything the console loads comes from this server: a page of ours cannot be made to load or send elsewhere. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

interface Asset {
  readonly type: string;
  readonly body: Buffer;
  readonly gzipped: Buffer;
  /** Vite names built assets by content hash, so they never change under their name. */
  readonly immutable: boolean;
}

/** The package root: the nearest folder up with a package.json (src/api under ts-jest, dist/src/api when built). */
const packageRoot = (from: string): string => {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
};

export const DEFAULT_CONSOLE_DIR = join(packageRoot(__dirname), 'dist', 'console');

const filesUnder = (dir: string): ReadonlyArray<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });

const loadAssets = (dir: string): ReadonlyMap<string, Asset> =>
  new Map(
    filesUnder(dir).map((path) => {
      const body = readFileSync(path);
      const name = relative(dir, path).split(sep).join('/');
      return [name, { type: TYPES[extname(path)] ?? 'application/octet-stream', body, gzipped: gzipSync(body, { level: 9 }), immutable: name.startsWith('assets/') }];
    }),
  );

const accepts = (request: FastifyRequest, encoding: string): boolean => String(request.headers['accept-encoding'] ?? '').includes(encoding);

const sendAsset = (request: FastifyRequest, reply: FastifyReply, asset: Asset) => {
  const gzip = accepts(request, 'gzip');
  return reply
    .headers({
      ...SECURITY_HEADERS,
      'content-type': asset.type,
      'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      vary: 'accept-encoding',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    })
    .send(gzip ? asset.gzipped : asset.body);
};

/**
 * `/` goes to the console; under /console/ a built file is served as is, an unknown file under
 * assets/ is a 404, and any other path is a page of the console, answered with its index.html (the
 * console reads the path). Without a build, /console/ says how to make one.
 */
export const registerConsole = (app: FastifyInstance, dir: string = DEFAULT_CONSOLE_DIR): void => {
  const assets = existsSync(join(dir, 'index.html')) ? loadAssets(dir) : new Map<string, Asset>();
  const index = assets.get('index.html');
  app.get('/', (_request, reply) => reply.redirect(`${CONSOLE_PREFIX}/`));
  app.get(CONSOLE_PREFIX, (_request, reply) => reply.redirect(`${CONSOLE_PREFIX}/`));
  app.get(`${CONSOLE_PREFIX}/*`, (request, reply) => {
    const name = (request.params as { '*': string })['*'];
    const asset = assets.get(name);
    if (asset !== undefined) return sendAsset(request, reply, asset);
    if (index === undefined) return reply.status(503).type('text/plain; charset=utf-8').send(`The console is not built: run npm run build (it writes ${dir}).\n`);
    if (name.startsWith('assets/')) return reply.status(404).type('text/plain; charset=utf-8').send(`no console asset ${name}\n`);
    return sendAsset(request, reply, index);
  });
};
