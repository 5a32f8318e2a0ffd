import { ledgerJson } from './processes';
import { rawScanPerSec } from './sqliteBaseline';

/** What `ledger replay --json` reports. */
export interface ReplayReport {
  readonly events: number;
  readonly head: number;
  readonly seconds: number;
  readonly eventsPerSec: number;
  readonly peakRssMb: number;
}

/** `ledger replay --json` in a child process: its peak RSS is the replay's alone. */
export const replayInChild = (storePath: string): Promise<ReplayReport> => ledgerJson<ReplayReport>(['replay', '--json', '--store', `sqlite:${storePath}`]);

/** `ledger verify --json` in a child process, as the replay. */
export const verifyInChild = (storePath: string): Promise<{ readonly ok: boolean; readonly events: number; readonly eventsPerSec: number }> =>
  ledgerJson(['verify', '--json', '--store', `sqlite:${storePath}`]);

/**
 * Figures 2 and 5 (first half): every projection rebuilt from position 0, in a fresh process, against
 * a bare ordered scan of the same table parsing each row's JSON; each the best of `repeats` runs,
 * alternated so that both see the same machine. Peak RSS is the largest seen.
 */
export const measureReplay = async (storePath: string, repeats: number) => {
  let replayEventsPerSec = 0;
  let rawScanEventsPerSec = 0;
  let replayPeakRssMb = 0;
  let verifyEventsPerSec = 0;
  let events = 0;
  for (let i = 0; i < repeats; i++) {
    // The scan first: a replay rewrites the snapshot, and the first one appends the store's snapshot
    // key (an event) after it has read the log.
    const scan = rawScanPerSec(storePath);
    const replay = await replayInChild(storePath);
    if (replay.events !== scan.events || replay.events !== replay.head + 1) {
      throw new Error(`replay read ${replay.events} events, the scan ${scan.events}, the head is ${replay.head}`);
    }
    events = replay.events;
    replayEventsPerSec = Math.max(replayEventsPerSec, replay.eventsPerSec);
    rawScanEventsPerSec = Math.max(rawScanEventsPerSec, scan.perSec);
    replayPeakRssMb = Math.max(replayPeakRssMb, replay.peakRssMb);
    // ledger verify (issue 20): a replay's work plus one SHA-256 per event and the seals' statements.
    const verified = await verifyInChild(storePath);
    if (!verified.ok) throw new Error('ledger verify failed on the bench history');
    verifyEventsPerSec = Math.max(verifyEventsPerSec, verified.eventsPerSec);
  }
  return { replayEvents: events, replayEventsPerSec, rawScanEventsPerSec, replayPeakRssMb, verifyEventsPerSec };
};
