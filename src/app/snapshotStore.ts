import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where the read model's snapshot lives between runs. */
export interface SnapshotStore {
  load(): Promise<string | undefined>;
  save(json: string): Promise<void>;
}

/** A file written atomically (temporary file, fsync, rename): a crash leaves the old or the new one. */
export class FileSnapshotStore implements SnapshotStore {
  constructor(readonly file: string) {}

  async load(): Promise<string | undefined> {
    try {
      return await fs.promises.readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async save(json: string): Promise<void> {
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    const handle = await fs.promises.open(tmp, 'w');
    try {
      await handle.writeFile(json);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(tmp, this.file);
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
