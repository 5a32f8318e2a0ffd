import { parseArgs } from 'node:util';
import { pipe } from 'fp-ts/function';
import * as TE from 'fp-ts/TaskEither';
import { recordedEventJson } from '../../api/wire';
import { citedEventsPage } from '../../app/citedEvents';
import { statementLine } from '../../app/ledgerQueries';
import { LedgerService } from '../../app/ledgerService';
import { StatementLine } from '../../projections/statementTypes';
import { RecordedEvent } from '../../store/eventStore';
import { strictObject } from '../../domain/validation';
import { LineId, statementOfLine } from '../../domain/lineId';
import { CliCommand, UsageError } from '../cliCommand';
import { EventJson, renderEvents } from '../renderEvents';
import { answer, decodeOptions, storeHelp, withLedger } from '../withLedger';

const LineArgument = strictObject('arguments', { LINE_ID: LineId }, {});

const allCitedEvents = async (ledger: LedgerService, l: StatementLine): Promise<ReadonlyArray<RecordedEvent>> => {
  const events: RecordedEvent[] = [];
  for (let after: number | undefined = 0; after !== undefined; ) {
    const page = await citedEventsPage((id, o) => ledger.store.readStream(id, o), l, after, 1000);
    events.push(...page.events);
    after = page.next;
  }
  return events;
};

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
every event it cites in full (an OVERAGE line's usage ranges expanded): when it happened, who
sent it (the actor) and its data.

  --json        the line JSON of the API's statement line route, its usage ranges expanded into events
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
          // An audit reads every event the line cites: an OVERAGE line's usage ranges expanded too.
          TE.chain(({ userId, line: l }) =>
            TE.fromTask(async () => ({ profileId, month, userId, ...l, events: (await allCitedEvents(ledger, l)).map(recordedEventJson) })),
          ),
        )(),
        (l) => (values.json ? JSON.stringify(l, null, 2) : render(l)),
      ),
    );
  },
};
