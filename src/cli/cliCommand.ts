/** Exit codes scripts can rely on. */
export const ExitCode = { ok: 0, ruleViolation: 1, usage: 2 } as const;

/** The actor of every event the `ledger` command appends itself (the server's: its tokens' names). */
export const CLI_ACTOR = 'cli';

/** A `ledger` sub-command: one module each under `src/cli/commands`. */
export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  /** Full `--help` text. */
  readonly help: string;
  run(args: ReadonlyArray<string>, io: CliIO): Promise<number>;
}

export interface CliIO {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

/** Bad usage: printed with the command's help and exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
