/** The p-th percentile (0–100) of some samples, nearest rank. */
export const percentile = (samples: ReadonlyArray<number>, p: number): number => {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? NaN;
};

/** The median of some samples (the lower of the middle two for an even count). */
export const median = (samples: ReadonlyArray<number>): number => percentile(samples, 50);
