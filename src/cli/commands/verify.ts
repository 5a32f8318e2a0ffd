import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { verifyLog, VerifyReport } from '../../app/verifyLog';
import { formatHead, LogHead } from '../../store/chain';
import { CliCommand, ExitCode, UsageError } from '../cliCommand';
import { progress } from '../progress';
import { storeHelp, withStore } from '../withLedger';

const HEAD = /^(0|[1-9][0-9]{0,15}):([0-9a-f]{64})$/;

/** `POSITION:HASH`, as GET /v1/log/head gives it (position and chainHash joined by a colon). */
export const parseTrusted = (text: string): LogHead => {
  const match = HEAD.exec(text);
  if (match === null) throw new UsageError(`--trusted: expected POSITION:HASH (a global position, a colon and 64 lowercase hex digits, as GET /v1/log/head gives), got "${text}"`);
  return { position: Number(match[1]), chainHash: match[2] as string };
};

const lines = (r: VerifyReport): string[] => [
  `${r.events} events, head ${formatHead(r.head)}`,
  ...(r.migration === null ? [] : [`events up to ${r.migration.position} (${r.migration.events}) were written before the chain and chained by a migration at ${r.migration.chainedAt}: the chain vouches for them from then on`]),
  r.chainStored
    ? r.chain.first === null
      ? 'chain: ok'
      : `chain: BROKEN at position ${r.chain.first.position} (stream ${r.chain.first.streamId}): expected ${r.chain.first.expected}, found ${r.chain.first.found}${r.chain.breaks > 1 ? ` (${r.chain.breaks} breaks in all)` : ''}`
    : 'chain: not stored by this store (computed on read: only kept heads and seals are evidence, see docs/verify.md)',
  ...(r.unreadable.first === null
    ? []
    : [`events: UNREADABLE at position ${r.unreadable.first.position} (stream ${r.unreadable.first.streamId}): ${r.unreadable.first.found}${r.unreadable.events > 1 ? ` (${r.unreadable.events} in all)` : ''}`]),
  ...r.trusted.map((t) =>
    t.ok
      ? `trusted head ${t.position}: ok`
      : `trusted head ${t.position}: NOT IN THE LOG: expected ${t.chainHash}, found ${t.found ?? 'no event at that position'}`,
  ),
  r.seals.first === null
    ? `seals: ${r.seals.checked} ok`
    : `seals: BROKEN at position ${r.seals.first.position} (stream ${r.seals.first.streamId}, ${r.seals.first.profileId} ${r.seals.first.month}, ${
        r.seals.first.why === 'statement' ? 'the replayed statement differs' : r.seals.first.why === 'head' ? 'the head it names is not in the log' : 'a second seal'
      }): expected ${r.seals.first.expected}, found ${r.seals.first.found}${r.seals.breaks > 1 ? ` (${r.seals.breaks} breaks in all)` : ''}`,
  r.ok ? 'verified' : 'NOT VERIFIED',
];

export const verify: CliCommand = {
  name: 'verify',
  summary: 'check the hash chain, kept heads and every seal against a replay (billing-rules F3)',
  help: `Usage: ledger verify [--trusted POSITION:HASH]... [--store URL] [--json]

Reads the log once, with a progress bar on a terminal, and checks:
  - the hash chain (billing-rules F1) recomputed from position 0: names the first event whose
    stored hash is not what its bytes and its predecessor give (an altered, deleted or moved event);
  - every --trusted head (a {position, chainHash} kept earlier from GET /v1/log/head) is in the log:
    catches an insider who rewrote events and every hash after them;
  - every seal (F2) against the statement replayed from the log with this version of the code, and
    one seal per profile and month: catches a ledger that bills an old month differently.
docs/verify.md says what this proves and what it does not.

  --trusted P:H  a head kept earlier; repeat for several
  ${storeHelp}
  --json         {"ok", "events", "head", "chainStored", "chain": {"breaks", "first"}, "unreadable": {"events", "first"}, "trusted": […],
                  "seals": {"checked", "breaks", "first"}, "migration", "seconds", "eventsPerSec"}

Exit codes: 0 everything holds, 1 a break (each kind's first named), 2 bad usage or no such store.`,
  async run(args, io) {
    const { values } = parseArgs({ args: [...args], options: { trusted: { type: 'string', multiple: true }, store: { type: 'string' }, json: { type: 'boolean' } }, strict: true });
    const trusted = (values.trusted ?? []).map(parseTrusted);
    return withStore(io, 'verify', values.store, 'refuse', async ({ store }) => {
      const bar = progress('verify', (await store.headPosition()) + 1, io);
      const started = performance.now();
      const report = await verifyLog(store, { trusted, onProgress: (read) => bar.update(read) });
      const seconds = (performance.now() - started) / 1000;
      bar.stop();
      if (values.json) io.out(JSON.stringify({ ...report, seconds, eventsPerSec: seconds > 0 ? Math.round(report.events / seconds) : report.events }));
      else io.out(lines(report).join('\n'));
      return report.ok ? ExitCode.ok : ExitCode.ruleViolation;
    });
  },
};
