import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import * as E from 'fp-ts/Either';
import { ApiError } from '../../api/apiError';
import { parseJsonBody } from '../../api/jsonBody';
import { consumeBatch, ItemResult, MAX_BATCH } from '../../app/usageBatch';
import { CommandHandler } from '../../commands/commandHandler';
import { decode } from '../../domain/validation';
import { Identifier } from '../../domain/fields';
import { CLI_ACTOR, CliIO, ExitCode, UsageError } from '../cliCommand';
import { progress } from '../progress';
import { withStore } from '../withLedger';

export const USAGE_FILE_LINE = '       ledger usage --profile P --file FILE.ndjson [--json] [--store URL]';

export const USAGE_FILE_HELP = `With --file: one ConsumeCredits per line of FILE (newline-delimited JSON, each line
{"userId", "credits", "requestId", "occurredAt"?}; blank lines are skipped), read as a stream and
decided in batches of ${MAX_BATCH} as POST /v1/profiles/{profileId}/usage/batch decides them: each
line on its own, with every rule of a single request. Progress on stderr; then a summary of what was
accepted and what was refused, by code, with the first lines of each. Safe to run again: each line
is idempotent by its requestId (a line applied before is accepted again, as "applied before").
--json prints {"lines", "accepted", "appliedBefore", "refused": {"CODE": {"count", "lines", "message"}}}.
Exit code 0 when every line was accepted, 1 when some were refused, 2 on bad usage.`;

/** Line numbers kept per refusal code: enough to find them, not the whole file. */
const LINES_SHOWN = 10;

interface Refusals {
  count: number;
  readonly lines: number[];
  readonly message: string;
}

export interface UsageSummary {
  lines: number;
  accepted: number;
  appliedBefore: number;
  readonly refused: Record<string, Refusals>;
}

const countLines = async (file: string): Promise<number> => {
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) if (line.trim() !== '') n += 1;
  return n;
};

/** `ledger usage --file`: the file streamed through the batch decision, a summary by code. */
export const runUsageFile = async (args: ReadonlyArray<string>, io: CliIO): Promise<number> => {
  const { values } = parseArgs({ args: [...args], options: { profile: { type: 'string' }, file: { type: 'string' }, json: { type: 'boolean' }, store: { type: 'string' } }, strict: true });
  if (values.profile === undefined) throw new UsageError('--profile: is required');
  const profile = decode(Identifier, values.profile);
  if (E.isLeft(profile)) throw new UsageError(`--profile: must be ${Identifier.name}, got ${JSON.stringify(values.profile)}`);
  const file = values.file as string;
  if (!existsSync(file)) throw new UsageError(`--file: no such file ${file}`);
  const total = await countLines(file);
  return withStore(io, 'usage', values.store, 'refuse', async ({ store }) => {
    const handler = new CommandHandler({ store, clock: () => new Date() });
    const summary: UsageSummary = { lines: 0, accepted: 0, appliedBefore: 0, refused: {} };
    const refuse = (line: number, code: string, message: string) => {
      const r = (summary.refused[code] ??= { count: 0, lines: [], message });
      r.count += 1;
      if (r.lines.length < LINES_SHOWN) r.lines.push(line);
    };
    const bar = progress('usage', total, io);
    // Lines in file order, each a request to decide or a line that is not JSON: counted in that order.
    let batch: { line: number; request: E.Either<ApiError, unknown> }[] = [];
    const send = async () => {
      const requests = batch.flatMap((b) => (E.isRight(b.request) ? [b.request.right] : []));
      const decided = await consumeBatch(handler, profile.right, requests, { actor: CLI_ACTOR });
      let next = 0;
      batch.forEach(({ line, request }) => {
        const r: ItemResult = E.isLeft(request) ? E.left({ code: 'VALIDATION', message: request.left.message.replace(/^body: /, '') }) : (decided[next++] as ItemResult);
        if (E.isLeft(r)) refuse(line, r.left.code, `line ${line}: ${r.left.message}`);
        else if (r.right.duplicate) summary.appliedBefore += 1;
        else summary.accepted += 1;
      });
      batch = [];
      bar.update(summary.lines);
    };
    let number = 0;
    for await (const text of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
      number += 1;
      if (text.trim() === '') continue;
      summary.lines += 1;
      batch.push({ line: number, request: parseJsonBody(Buffer.from(text)) });
      if (batch.length === MAX_BATCH) await send();
    }
    if (batch.length > 0) await send();
    bar.stop();
    const refusedLines = Object.values(summary.refused).reduce((n, r) => n + r.count, 0);
    if (values.json) io.out(JSON.stringify(summary));
    else {
      io.out(`${summary.lines} lines: ${summary.accepted} accepted, ${summary.appliedBefore} applied before (retries that changed nothing), ${refusedLines} refused`);
      for (const [code, r] of Object.entries(summary.refused).sort(([, a], [, b]) => b.count - a.count)) {
        io.out(`  ${code}: ${r.count} (lines ${r.lines.join(', ')}${r.count > r.lines.length ? ', …' : ''}); first: ${r.message}`);
      }
    }
    return refusedLines === 0 ? ExitCode.ok : ExitCode.ruleViolation;
  });
};
