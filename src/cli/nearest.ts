/** Edit distance (insertions, deletions, substitutions): how far a typo is from what was meant. */
const distance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((previous[j] as number) + 1, (row[j - 1] as number) + 1, (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length] as number;
};

/** The known word nearest a mistyped one, if it is near enough to be what was meant (a third of it may differ). */
export const nearest = (typed: string, known: ReadonlyArray<string>): string | undefined => {
  const [best] = known.map((k) => ({ k, d: distance(typed, k) })).sort((x, y) => x.d - y.d);
  return best !== undefined && best.d <= Math.max(2, Math.floor(typed.length / 3)) ? best.k : undefined;
};
