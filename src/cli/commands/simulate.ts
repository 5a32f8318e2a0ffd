import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import * as E from 'fp-ts/Either';
import { unmetExpectations } from '../../simulation/expectations';
import { runScenario } from '../../simulation/runScenario';
import { Scenario } from '../../simulation/scenario';
import { InMemoryEventStore } from '../../store/inMemoryEventStore';
import { decode } from '../../domain/validation';
import { CliCommand, ExitCode, UsageError } from '../cliCommand';
import { renderAccountStatement, renderStatement } from '../renderStatement';

export const simulate: CliCommand = {
  name: 'simulate',
  summary: 'run a scenario file against a scratch ledger',
  help: `Usage: ledger simulate FILE.json [--json]

Runs a scenario file (shared/scenarios/README.md) against a fresh in-memory ledger, on the
scenario's own clock, and prints each step's result, then the statements and account
statements the scenario's "expect" and "expectAccount" name, and whether they match.

  --json   {"steps": [{"ok": true} | {"ok": false, "code": "…"}], "statements": […],
           "accountStatements": […], "unmet": ["…"]}

Exit codes: 0 the scenario ran and met its expectations, 1 it did not, 2 bad usage or file.`,
  async run(args, io) {
    const { values, positionals } = parseArgs({ args: [...args], options: { json: { type: 'boolean' } }, allowPositionals: true, strict: true });
    const file = positionals[0];
    if (file === undefined || positionals.length > 1) throw new UsageError('expected exactly one scenario file');
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new UsageError(`${file} is not JSON (${(e as Error).message}); a scenario is a JSON file, see shared/scenarios/README.md`);
    }
    const scenario = decode(Scenario, raw);
    if (E.isLeft(scenario)) throw new UsageError(`${file} is not a scenario: ${scenario.left.message}`);
    const result = await runScenario(scenario.right, new InMemoryEventStore());
    const unmet = unmetExpectations(scenario.right, result);
    if (values.json) {
      io.out(
        JSON.stringify(
          {
            steps: result.steps.map((s) => (s.ok ? { ok: true } : { ok: false, code: s.code, message: s.message })),
            statements: result.statements,
            accountStatements: result.accountStatements,
            unmet,
          },
          null,
          2,
        ),
      );
    } else {
      scenario.right.steps.forEach((step, i) => {
        const r = result.steps[i];
        const type = (step.command as { type?: unknown })?.type;
        io.out(`${String(i + 1).padStart(3)}  ${step.at}  ${String(type).padEnd(14)}  ${r?.ok ? 'ok' : `${r?.code}: ${r?.message}`}`);
      });
      for (const s of result.statements) io.out(`\n${renderStatement(s)}`);
      for (const a of result.accountStatements) io.out(`\n${renderAccountStatement(a)}`);
      io.out(unmet.length === 0 ? '\nAll expectations met.' : `\nUnmet expectations:\n${unmet.map((u) => `  - ${u}`).join('\n')}`);
    }
    return unmet.length === 0 ? ExitCode.ok : ExitCode.ruleViolation;
  },
};
