import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { Caller } from '../codecs';

/**
 * What a profile page may do for its caller, from `GET /v1/me`: an operator or admin may change
 * subscriptions and the overage switch, an admin alone credit a final line (the API checks each
 * request all the same). `version` counts the changes made on the page, so that what they change loads again.
 */
export interface Acting {
  readonly caller: Caller | undefined;
  readonly version: number;
  readonly changed: () => void;
}

export const ActingContext = createContext<Acting>({ caller: undefined, version: 0, changed: () => undefined });
export const useActing = (): Acting => useContext(ActingContext);

export const mayChange = (caller: Caller | undefined): boolean => caller?.actions.includes('command') ?? false;
export const mayCredit = (caller: Caller | undefined): boolean => caller?.actions.includes('issueCredit') ?? false;
