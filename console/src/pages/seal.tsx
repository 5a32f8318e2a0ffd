import { Seal } from '../codecs';

/**
 * A sealed month (billing-rules F2): its digest, the log head it was built from, and how anyone
 * holding the log checks the bill (docs/verify.md): the head as a kept one, so that a log rewritten
 * since is caught too.
 */
export const SealNotice = ({ seal }: { seal: Seal }) => {
  const command = `ledger verify --trusted ${seal.logPosition}:${seal.chainHash}`;
  return (
    <section aria-labelledby="sealed" class="sealed" data-testid="seal">
      <h2 id="sealed">
        <span class="badge sealed">sealed</span> {new Date(seal.sealedAt).toISOString().replace('T', ' ').slice(0, 16)} UTC
      </h2>
      <dl>
        <dt>SHA-256 of this statement</dt>
        <dd>
          <code data-testid="seal-digest">{seal.sha256}</code>
        </dd>
        <dt>Built from the log up to</dt>
        <dd>
          position {seal.logPosition}, chain hash <code>{seal.chainHash}</code>
        </dd>
      </dl>
      <details>
        <summary>How to verify this bill</summary>
        <p>
          The digest is the SHA-256 of this statement's RFC 8785 JSON, as the API serves it, without its seal. To check that the log still holds it and
          that replaying the log bills this month the same, run, where the ledger's store is:
        </p>
        <pre data-testid="seal-command">{command}</pre>
        <p class="muted">Exit code 0: the chain, this head and every seal hold. Keep the head outside the ledger: it is your receipt.</p>
      </details>
    </section>
  );
};
