import { closeSync, existsSync, openSync, readSync } from 'node:fs';

/**
 * The `-wal` file of a SQLite database in WAL mode holds the last commits until a checkpoint copies
 * them into the database file. After a clean close it is checkpointed and removed with its `-shm`;
 * after a crash (kill -9, power loss) both stay, and the next open replays the `-wal`. Deleted, it
 * takes those acknowledged commits with it, and SQLite opens what is left without a word.
 *
 * The `-shm` (the WAL index) tells: its header counts the frames the `-wal` held (mxFrame, a 32-bit
 * word at byte 16, in the writer's byte order). A `-shm` whose count is not zero beside no `-wal`
 * means one existed, with commits in it, and is gone.
 */
export const missingWalWarning = (file: string): string | undefined => {
  const wal = `${file}-wal`;
  const shm = `${file}-shm`;
  if (existsSync(wal) || !existsSync(shm)) return undefined;
  const header = Buffer.alloc(48);
  let read = 0;
  const fd = openSync(shm, 'r');
  try {
    read = readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (read < 20) return undefined;
  // Either byte order: a count is small, so the one that reads as a plausible count is the writer's.
  const frames = Math.min(header.readUInt32LE(16), header.readUInt32BE(16));
  if (frames === 0) return undefined;
  return [
    `WARNING: ${wal} is missing, but ${shm} shows it held ${frames} WAL frames not yet checkpointed into ${file}.`,
    '  The -wal file holds the latest acknowledged commits; without it they are lost, and SQLite opens what is left.',
    '  If it was moved, stop now and put it back beside the database before anything writes. Never delete -wal or -shm',
    '  files by hand (docs/durability.md); to copy a running ledger use `ledger backup --to FILE`.',
  ].join('\n');
};
