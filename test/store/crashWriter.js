'use strict';
// Child process of crash.test.ts, plain JS on the compiled store so nothing compiles at test time.
// Several writers append under load to one store (a URL: sqlite:FILE, postgres://…) and print an append's event ids on stdout
// only once the append has resolved: every printed id is an acknowledged write. The parent
// SIGKILLs this process at an arbitrary moment.
const { openStore } = require('../../dist/src/store/openStore.js');
const { ExpectedRevision } = require('../../dist/src/store/eventStore.js');

const [url, round] = process.argv.slice(2);
const WRITERS = 8;

const writer = async (store, w) => {
  const streamId = `crash-${w}`;
  // A later round resumes the stream where the killed one left it.
  let known = (await store.readStream(streamId)).length - 1;
  for (let i = 0; ; i++) {
    const events = Array.from({ length: 1 + (i % 3) }, (_, k) => ({
      eventId: `r${round}-w${w}-a${i}-e${k}`,
      type: 'CrashTested',
      data: { w, i, k },
      metadata: { schemaVersion: 1 },
    }));
    const result = await store.append(streamId, events, {
      expectedRevision: ExpectedRevision.after(known),
      commandIds: [`r${round}-w${w}-a${i}`],
    });
    known = result.nextExpectedRevision;
    // Waiting for the pipe keeps at most one append per writer unreported at the kill.
    await new Promise((resolve) => process.stdout.write(`${events.map((e) => e.eventId).join(' ')}\n`, resolve));
  }
};

const fail = (error) => {
  process.stderr.write(`writer failed: ${error.stack}\n`);
  process.exit(1);
};
openStore(url).then((store) => {
  for (let w = 0; w < WRITERS; w++) writer(store, w).catch(fail);
}, fail);
