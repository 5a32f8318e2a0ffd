import * as E from 'fp-ts/Either';
import { EventRef, LedgerEvent, Recorded, SCHEMA_VERSION } from './events';
import { decode } from './validation';

/** What a store hands back, as far as decoding needs it. */
export interface StoredEvent {
  readonly streamId: string;
  readonly position: number;
  readonly globalPosition: number;
  readonly eventId: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: { readonly schemaVersion: number };
}

export const refOf = (e: StoredEvent): EventRef => ({ streamId: e.streamId, position: e.position, eventId: e.eventId, type: e.type });

/**
 * Stored JSON is a boundary too: decoded with the event codecs on every read. Only schema version 1
 * exists; an event of an unknown version is an error, not a guess.
 */
export const decodeStored = (e: StoredEvent): E.Either<Error, Recorded> => {
  if (e.metadata.schemaVersion !== SCHEMA_VERSION) {
    return E.left(new Error(`${e.streamId}@${e.position}: schema version ${e.metadata.schemaVersion} is not known`));
  }
  return E.bimap(
    (err: { message: string }) => new Error(`${e.streamId}@${e.position} (${e.type}): ${err.message}`),
    (event: LedgerEvent): Recorded => ({ ref: refOf(e), globalPosition: e.globalPosition, event }),
  )(decode(LedgerEvent, { type: e.type, data: e.data }));
};

/** For the shell: a stored event that does not decode is corruption, so it stops the read. */
export const decodeOrThrow = (e: StoredEvent): Recorded =>
  E.getOrElseW((err: Error) => {
    throw err;
  })(decodeStored(e));
