import { useEffect, useRef, useState } from 'preact/hooks';

export type Load<A> = { readonly state: 'loading' } | { readonly state: 'ok'; readonly data: A } | { readonly state: 'error'; readonly error: unknown };

/**
 * Runs `load` whenever a key changes; an answer for keys no longer shown is dropped. A change of
 * `refresh` alone loads again without blanking what is shown (after a change made on the page:
 * the form that made it, and the focus in it, stay where they are until the new answer replaces the old).
 */
export const useLoad = <A>(load: () => Promise<A>, keys: ReadonlyArray<unknown>, refresh = 0): Load<A> => {
  const [result, setResult] = useState<Load<A>>({ state: 'loading' });
  const shownKeys = useRef<ReadonlyArray<unknown> | undefined>(undefined);
  useEffect(() => {
    let live = true;
    const sameKeys = shownKeys.current !== undefined && shownKeys.current.length === keys.length && shownKeys.current.every((k, i) => Object.is(k, keys[i]));
    shownKeys.current = keys;
    if (!sameKeys) setResult({ state: 'loading' });
    load().then(
      (data) => live && setResult({ state: 'ok', data }),
      (error: unknown) => live && setResult({ state: 'error', error }),
    );
    return () => {
      live = false;
    };
  }, [...keys, refresh]);
  return result;
};
