import { StoreNotFound } from '../store/openStore';
import { CliCommand, CliIO, ExitCode, UsageError } from './cliCommand';
import { accountStatement } from './commands/accountStatement';
import { backup } from './commands/backup';
import { changeCommands } from './commands/changes';
import { events } from './commands/events';
import { line } from './commands/line';
import { exportCommand } from './commands/export';
import { replay } from './commands/replay';
import { sealCommand } from './commands/seal';
import { seed } from './commands/seed';
import { serve } from './commands/serve';
import { simulate } from './commands/simulate';
import { statement } from './commands/statement';
import { token } from './commands/token';
import { verify } from './commands/verify';
import { nearest } from './nearest';

/** Every sub-command; each lives in its own module under ./commands. */
const commands: ReadonlyArray<CliCommand> = [simulate, seed, replay, serve, statement, accountStatement, exportCommand, line, events, ...changeCommands, token, sealCommand, verify, backup];

const overview = (): string =>
  [
    'Usage: ledger <command> [options]   (ledger <command> --help for details)',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(18)} ${c.summary}`),
  ].join('\n');

export const runCli = async (argv: ReadonlyArray<string>, io: CliIO): Promise<number> => {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(overview());
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    const meant = nearest(name, commands.map((c) => c.name));
    io.err(`ledger: unknown command "${name}"${meant === undefined ? '' : ` (did you mean ${meant}?)`}\n\n${overview()}`);
    return ExitCode.usage;
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.out(command.help);
    return ExitCode.ok;
  }
  try {
    return await command.run(args, io);
  } catch (e) {
    if (e instanceof StoreNotFound) {
      io.err(`ledger ${name}: ${e.message}`);
      return ExitCode.usage;
    }
    // parseArgs reports unknown or malformed options with ERR_PARSE_ARGS_* codes.
    const code = (e as { code?: unknown }).code;
    if (e instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      io.err(`ledger ${name}: ${(e as Error).message}${code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? suggestion((e as Error).message, command.help) : ''}\n\n${command.help}`);
      return ExitCode.usage;
    }
    throw e;
  }
};

/** The help lists every option a command takes, so it is where the nearest one to a typo is found. */
const suggestion = (message: string, help: string): string => {
  const typed = /'(--?[^']+)'/.exec(message)?.[1];
  const meant = typed === undefined ? undefined : nearest(typed, [...new Set(help.match(/--[a-z][a-z-]*/g) ?? [])]);
  return meant === undefined ? '' : ` (did you mean ${meant}?)`;
};

export const main = (argv: ReadonlyArray<string>): void => {
  const io: CliIO = { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`), env: process.env };
  runCli(argv, io).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`ledger: ${(e as Error).message ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
};
