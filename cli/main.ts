import { alertsCommand, ALERTS_HELP } from './commands/alerts';
import { REPLAY_HELP, replayCommand } from './commands/replay';
import type { CliIo } from './io';
import { UsageError } from './store';

export const MAIN_HELP = `Usage: sgwatch <command> [options]

sgwatch detects the creation of RDS DB security groups and ElastiCache cache
security groups (and failed attempts at either) in AWS CloudTrail.

Commands:
  replay <path>...      run the detections over CloudTrail logs on this machine
  alerts list           list alerts, newest first (filters: --since --status --rule ...)
  alerts show <id>      everything about one alert, including its CloudTrail record
  alerts ack <id>       mark an alert acknowledged
  alerts resolve <id> --note TEXT
                        close an alert with a note
  alerts reopen <id>    open a closed or acknowledged alert again
  help [command]        help for a command

By default commands use the embedded store in ./.sgwatch; pass --table NAME
(and --region R) to work with a deployed sgwatch alert table instead.

Run "sgwatch <command> --help" for a command's options.
`;

const HELP: Record<string, string> = { replay: REPLAY_HELP, alerts: ALERTS_HELP };

/** Mistakes on the command line: ours, and node's own option-parsing errors. */
function isUsageError(error: unknown): error is Error {
  if (error instanceof UsageError) return true;
  // parseArgs throws TypeErrors tagged with an ERR_PARSE_ARGS_* code; test the code, not
  // the class, which differs between realms (jest runs tests in its own).
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

/** Runs one CLI invocation and returns its exit code; never calls process.exit itself. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
        io.stdout.write(MAIN_HELP);
        return command === undefined ? 2 : 0;
      case 'help': {
        const topic = rest[0];
        io.stdout.write(topic !== undefined && HELP[topic] !== undefined ? HELP[topic] : MAIN_HELP);
        return 0;
      }
      case 'replay':
        return await replayCommand(rest, io);
      case 'alerts':
        return await alertsCommand(rest, io);
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (isUsageError(error)) {
      io.stderr.write(
        `sgwatch: ${error.message}\nRun "sgwatch ${command !== undefined && HELP[command] !== undefined ? `${command} ` : ''}--help" for usage.\n`,
      );
      return 2;
    }
    io.stderr.write(`sgwatch: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
