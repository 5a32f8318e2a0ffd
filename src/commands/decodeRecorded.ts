import * as E from 'fp-ts/Either';
import { EventRef, LedgerEvent, Recorded, SCHEMA_VERSION } from '../domain/events';
import { decode } from '../domain/validation';
import { RecordedEvent } from '../store/eventStore';

export const refOf = (e: RecordedEvent): EventRef => ({ streamId: e.streamId, position: e.position, eventId: e.eventId, type: e.type });

/**
 * Stored JSON is a boundary too: decoded with the event codecs on every read. Only schema version 1
 * exists; an event of an unknown version is an error, not a guess.
 */
export const decodeStored = (e: RecordedEvent): E.Either<Error, Recorded> => {
  if (e.metadata.schemaVersion !== SCHEMA_VERSION) {
    return E.left(new Error(`${e.streamId}@${e.position}: schema version ${e.metadata.schemaVersion} is not known`));
  }
  return E.bimap(
    (err: { message: string }) => new Error(`${e.streamId}@${e.position} (${e.type}): ${err.message}`),
    (event: LedgerEvent): Recorded => ({ ref: refOf(e), globalPosition: e.globalPosition, event }),
  )(decode(LedgerEvent, { type: e.type, data: e.data }));
};

/** For the shell: a stored event that does not decode is corruption, so it stops the read. */
export const decodeOrThrow = (e: RecordedEvent): Recorded =>
  E.getOrElseW((err: Error) => {
    throw err;
  })(decodeStored(e));
