import { containerSlot } from './globalSetup';

export default async function globalTeardown(): Promise<void> {
  await containerSlot.ledgerEsdbContainer?.stop();
  delete containerSlot.ledgerEsdbContainer;
}
