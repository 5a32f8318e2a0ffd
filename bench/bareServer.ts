import { AddressInfo } from 'node:net';
import Fastify from 'fastify';

/**
 * The baseline of the HTTP figures (issue 18): a bare Fastify route in a process of its own, as
 * the ledger's server runs, that parses the same JSON body and answers 201 with a body the size of
 * a ConsumeCredits answer: what HTTP and JSON cost on this machine with no ledger behind them.
 * Prints `{"port": N}` once it listens.
 */
const main = async (): Promise<void> => {
  const app = Fastify({ logger: false });
  const answer = (body: unknown) => ({
    events: [{ streamId: 'profile/p/usage/u/2026-05', position: 0, eventId: '00000000-0000-4000-8000-000000000000', type: 'CreditsConsumed', occurredAt: new Date().toISOString(), data: body }],
  });
  app.post('/*', async (request, reply) => reply.status(201).send(answer(request.body)));
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`${JSON.stringify({ port: (app.server.address() as AddressInfo).port })}\n`);
  process.once('SIGTERM', () => void app.close());
};

main().catch((e: unknown) => {
  process.stderr.write(`bare server: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
