import { parseArgs } from 'node:util';
import { pipe } from 'fp-ts/function';
import * as TE from 'fp-ts/TaskEither';
import { recordedEventJson } from '../../api/wire';
import { statementLine } from '../../app/ledgerQueries';
import { strictObject } from '../../domain/validation';
import { LineId, statementOfLine } from '../../projections/statementLineId';
import { CliCommand, UsageError } from '../cliCommand';
import { EventJson, renderEvents } from '../renderEvents';
import { answer, decodeOptions, storeHelp, withLedger } from '../withLedger';

const LineArgument = strictObject('arguments', { LINE_ID: LineId }, {});

type LineJson = { readonly lineId: string; readonly kind: string; readonly tier: string; readonly amount: string; readonly description: string; readonly events: ReadonlyArray<EventJson> };

const render = (l: LineJson): string =>
  [
    `Line ${l.lineId}: ${l.kind} ${l.tier} ${l.amount} — ${l.description}`,
    '',
    renderEvents(l.events),
  ].join('\n');

export const line: CliCommand = {
  name: 'line',
  summary: 'print a statement line with every event it cites, for an audit',
  help: `Usage: ledger line LINE_ID [--json] [--store URL]

Prints one statement line (its id as the statement shows it, such as p-iad~2026-04~alice~2) and
every event it cites in full: when it happened, who sent it (the actor) and its data.

  --json        the line JSON of the API's statement line route
  ${storeHelp}

Exit codes: 0 ok, 1 no such profile or line, 2 bad usage.`,
  async run(args, io) {
    const { values, positionals } = parseArgs({ args: [...args], options: { json: { type: 'boolean' }, store: { type: 'string' } }, strict: true, allowPositionals: true });
    if (positionals.length !== 1) throw new UsageError('expected exactly one LINE_ID');
    const { LINE_ID } = decodeOptions(LineArgument, { LINE_ID: positionals[0] });
    const { profileId, month } = statementOfLine(LINE_ID);
    return withLedger(io, 'line', values.store, async (ledger, url) =>
      answer(
        io,
        'line',
        url,
        await pipe(
          statementLine(ledger, profileId, month, LINE_ID),
          TE.map(({ userId, line: l, events }) => ({ profileId, month, userId, ...l, events: events.map(recordedEventJson) })),
        )(),
        (l) => (values.json ? JSON.stringify(l, null, 2) : render(l)),
      ),
    );
  },
};
