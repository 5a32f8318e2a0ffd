import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where the read model's snapshot lives between runs. */
export interface SnapshotStore {
  /** Where it is, for the warning when a snapshot is discarded. */
  readonly name: string;
  /** The saved snapshot, undefined if there is none; cleans up what interrupted saves left behind. */
  load(): Promise<string | undefined>;
  /** Saves the pieces of its text, in order (written one by one: a big view's text is large). */
  save(pieces: ReadonlyArray<string>): Promise<void>;
}

/** `{file}.{pid}.tmp`: a save in progress, or what a save interrupted by a crash left behind. */
const tempFileOf = (file: string, pid: number): string => `${file}.${pid}.tmp`;

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it runs, under another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** A file written atomically (temporary file, fsync, rename): a crash leaves the old or the new one. */
export class FileSnapshotStore implements SnapshotStore {
  constructor(readonly file: string) {}

  get name(): string {
    return this.file;
  }

  async load(): Promise<string | undefined> {
    await this.removeLeftovers();
    try {
      return await fs.promises.readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async save(pieces: ReadonlyArray<string>): Promise<void> {
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
    const tmp = tempFileOf(this.file, process.pid);
    const handle = await fs.promises.open(tmp, 'w');
    try {
      // writeFile on a handle writes from where the last write ended, and all of it.
      for (const piece of pieces) await handle.writeFile(piece);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(tmp, this.file);
  }

  /** Temporary files of processes that no longer run: another process sharing the store may be saving. */
  private async removeLeftovers(): Promise<void> {
    const prefix = `${path.basename(this.file)}.`;
    const names = await fs.promises.readdir(path.dirname(this.file)).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [];
      throw e;
    });
    for (const name of names) {
      const middle = name.startsWith(prefix) && name.endsWith('.tmp') ? name.slice(prefix.length, -'.tmp'.length) : '';
      const pid = /^[1-9][0-9]{0,9}$/.test(middle) ? Number(middle) : NaN;
      if (Number.isSafeInteger(pid) && !isRunning(pid)) await fs.promises.rm(tempFileOf(this.file, pid), { force: true });
    }
  }
}

/**
 * The snapshot file for a store URL: beside a SQLite file, under ./data for EventStoreDB (one per
 * connection string), none for stores that do not outlive the process.
 */
export const snapshotStoreFor = (storeUrl: string): SnapshotStore | undefined => {
  if (storeUrl === 'memory:' || storeUrl === 'sqlite::memory:') return undefined;
  if (storeUrl.startsWith('sqlite:')) return new FileSnapshotStore(`${storeUrl.slice('sqlite:'.length)}.view.json`);
  return new FileSnapshotStore(path.join('data', `view-${createHash('sha256').update(storeUrl).digest('hex').slice(0, 16)}.json`));
};
