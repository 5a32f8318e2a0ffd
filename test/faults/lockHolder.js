'use strict';
// Child process of sqliteBusy.test.ts: another process holding the SQLite write lock, as a backup,
// sqlite3 or a `ledger seed` would. Takes it (BEGIN IMMEDIATE), says "locked", and commits when its
// standard input says "release" (or closes).
const Database = require('better-sqlite3');

const db = new Database(process.argv[2]);
db.exec('BEGIN IMMEDIATE');
process.stdout.write('locked\n');
let released = false;
const release = () => {
  if (released) return;
  released = true;
  db.exec('COMMIT');
  db.close();
  process.stdout.write('released\n');
  process.exit(0);
};
process.stdin.on('data', (chunk) => {
  if (chunk.toString().includes('release')) release();
});
process.stdin.on('end', release);
