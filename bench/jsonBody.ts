import { parseJsonBody } from '../src/api/jsonBody';

/**
 * Micro-benchmark of the body parser on the hot path (every usage request): parseJsonBody against
 * the bare JSON.parse of the same bytes, as a ratio measured in the same run (docs/performance.md).
 * `node dist/bench/jsonBody.js`
 */
const bodies = {
  usage: Buffer.from(JSON.stringify({ userId: 'alice', credits: '12.50', requestId: 'r-000123456', occurredAt: '2026-04-15T12:00:00Z' })),
  batchOf100: Buffer.from(
    JSON.stringify({ requests: Array.from({ length: 100 }, (_, i) => ({ userId: `user-${i}`, credits: '1.25', requestId: `r-${i}`, occurredAt: '2026-04-15T12:00:00Z' })) }),
  ),
};

const utf8 = new TextDecoder('utf-8', { fatal: true });
const bare = (raw: Buffer): unknown => JSON.parse(utf8.decode(raw));

const nsPerCall = (f: (raw: Buffer) => unknown, raw: Buffer): number => {
  const rounds = Math.max(2_000, Math.round(2_000_000 / raw.length));
  for (let i = 0; i < rounds; i += 1) f(raw);
  const started = process.hrtime.bigint();
  for (let i = 0; i < rounds; i += 1) f(raw);
  return Number(process.hrtime.bigint() - started) / rounds;
};

for (const [name, raw] of Object.entries(bodies)) {
  // Alternated, best of five each, so that a busy machine weighs on both alike.
  const b: number[] = [];
  const p: number[] = [];
  for (let run = 0; run < 5; run += 1) {
    b.push(nsPerCall(bare, raw));
    p.push(nsPerCall(parseJsonBody, raw));
  }
  const best = (xs: number[]) => Math.min(...xs);
  process.stdout.write(`${name} (${raw.length} B): JSON.parse ${best(b).toFixed(0)} ns, parseJsonBody ${best(p).toFixed(0)} ns, ratio ${(best(p) / best(b)).toFixed(2)}\n`);
}
