import { openStore } from '../src/store/openStore';
import { MessageProjection, sourceOf } from '../src/webhooks/messages';

/**
 * The webhook messages of a whole log (src/webhooks/messages.ts), folded from position 0 as a node
 * does when its first endpoint appears, in this process; the best of `repeats` runs. Compared with
 * the bare scan of the same file measured with the replay (figure 2).
 */
export const measureWebhookFold = async (storePath: string, repeats: number) => {
  let webhookFoldEventsPerSec = 0;
  let webhookMessages = 0;
  for (let i = 0; i < repeats; i++) {
    const store = await openStore(`sqlite:${storePath}`, { ifMissing: 'refuse' });
    const projection = new MessageProjection();
    const started = process.hrtime.bigint();
    let events = 0;
    let messages = 0;
    for await (const e of store.readAll()) {
      events++;
      const source = sourceOf(e);
      if (source !== undefined) messages += projection.apply(source).length;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await store.close();
    webhookFoldEventsPerSec = Math.max(webhookFoldEventsPerSec, events / seconds);
    webhookMessages = messages;
  }
  return { webhookFoldEventsPerSec, webhookMessages };
};
