import { parseArgs } from 'node:util';
import { recordedEventJson } from '../../api/wire';
import { profileEvents } from '../../app/ledgerQueries';
import { Identifier, integerText } from '../../domain/fields';
import { strictObject } from '../../domain/validation';
import { CliCommand } from '../cliCommand';
import { renderEvents } from '../renderEvents';
import { answer, decodeOptions, storeHelp, withLedger } from '../withLedger';

const MAX_LIMIT = 1_000_000;
const Options = strictObject(
  'options',
  { profile: Identifier },
  { after: integerText('a global position (an integer of 0 or more)', 0, Number.MAX_SAFE_INTEGER), limit: integerText(`an integer from 1 to ${MAX_LIMIT}`, 1, MAX_LIMIT) },
);

export const events: CliCommand = {
  name: 'events',
  summary: "print a profile's events in log order, for an audit",
  help: `Usage: ledger events --profile P [--after N] [--limit N] [--json] [--store URL]

Prints the events of profile P (its creation, subscriptions, overage switches, usage) in log order:
global position, when it happened, type, stream and position, the actor who sent it, and its data.

  --after N     only events after global position N
  --limit N     at most N events (default: all)
  --json        [{"streamId", "position", "globalPosition", "eventId", "type", "occurredAt",
                  "recordedAt", "data", "metadata"}]
  ${storeHelp}

Exit codes: 0 ok, 1 no such profile, 2 bad usage.`,
  async run(args, io) {
    const { values } = parseArgs({
      args: [...args],
      options: { profile: { type: 'string' }, after: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' }, store: { type: 'string' } },
      strict: true,
    });
    const o = decodeOptions(Options, { profile: values.profile, after: values.after, limit: values.limit });
    return withLedger(io, 'events', values.store, async (ledger, url) =>
      answer(io, 'events', url, await profileEvents(ledger, o.profile, o.after, o.limit ?? Number.MAX_SAFE_INTEGER)(), (found) => {
        const json = found.map(recordedEventJson);
        return values.json ? JSON.stringify(json, null, 2) : renderEvents(json);
      }),
    );
  },
};
