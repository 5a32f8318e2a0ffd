/**
 * Counts the event loop's turns until stopped: a `setImmediate` that sets itself again, so that
 * whatever runs within one turn (an immediate and the microtasks after it) sees one count.
 */
export const loopTurns = (): { readonly current: () => number; readonly stop: () => void } => {
  let turn = 0;
  let running = true;
  const tick = () => {
    turn += 1;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  return { current: () => turn, stop: () => (running = false) };
};
