import { useEffect, useState } from 'preact/hooks';

export type Load<A> = { readonly state: 'loading' } | { readonly state: 'ok'; readonly data: A } | { readonly state: 'error'; readonly error: unknown };

/** Runs `load` whenever a key changes; an answer for keys no longer shown is dropped. */
export const useLoad = <A>(load: () => Promise<A>, keys: ReadonlyArray<unknown>): Load<A> => {
  const [result, setResult] = useState<Load<A>>({ state: 'loading' });
  useEffect(() => {
    let live = true;
    setResult({ state: 'loading' });
    load().then(
      (data) => live && setResult({ state: 'ok', data }),
      (error: unknown) => live && setResult({ state: 'error', error }),
    );
    return () => {
      live = false;
    };
  }, keys);
  return result;
};
