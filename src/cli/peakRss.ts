import { readFileSync } from 'node:fs';

/**
 * The process's peak resident set size. The kernel's high-water mark (VmHWM in /proc/self/status)
 * sees every peak; where there is no /proc, the largest of the samples taken has to do.
 */
export const peakRss = () => {
  let sampled = process.memoryUsage.rss();
  return {
    sample(): void {
      sampled = Math.max(sampled, process.memoryUsage.rss());
    },
    megabytes(): number {
      const hwm = kernelHighWaterMark();
      return Math.max(hwm ?? 0, sampled) / (1024 * 1024);
    },
  };
};

const kernelHighWaterMark = (): number | undefined => {
  try {
    const kb = /^VmHWM:\s+([0-9]+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
};
