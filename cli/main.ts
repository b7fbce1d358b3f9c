import { version } from '../package.json';
import { UsageError } from './args';
import type { CliIo } from './io';

export const MAIN_HELP = `Usage: sgwatch <command> [options]

sgwatch detects, in AWS CloudTrail, how databases and caches get exposed: RDS
and ElastiCache security groups created (and failed attempts), data-store ports
opened to the internet, RDS made public, and security groups changed on a data
store.

Commands:
  replay <path>...      run the detections over CloudTrail logs on this machine
                        (folders, files, or s3://BUCKET/PREFIX)
  hunt --since T        find the same alerts in an organization's trail with
                        Athena
  sigma check <path>...
                        load Sigma rules for CloudTrail and show what each
                        deploys
  alerts list           list alerts, newest first (filters: --since --status
                        --rule ...)
  alerts show <id>      everything about one alert, including its CloudTrail
                        record
  alerts ack <id>       mark an alert acknowledged
  alerts resolve <id> --note TEXT
                        close an alert with a note
  alerts reopen <id>    open a closed or acknowledged alert again
  doctor                check a deployed sgwatch for what silently stops
                        detection (trail, rules, subscriptions, dead-letter
                        queues, spokes)
  redrive               send the events in the dead-letter queues through the
                        detector again (--dry-run to look first)
  help [command]        help for a command
  version               the version of sgwatch (also --version, -v)

By default replay and alerts use the local store in the nearest .sgwatch/ folder
(the current folder or one above it, as git finds a repository; replay creates
./.sgwatch when there is none), or --state-dir DIR, or $SGWATCH_STATE_DIR. For a
deployed alert table: alerts --table NAME --region R; replay delivers into one
with --table NAME --table-region R --publish --topic ARN.
doctor and redrive work on the deployed stack (--stack, default Sgwatch, and
--region), with the credentials of your AWS profile.

Run "sgwatch <command> --help" for a command's options.
`;

/**
 * Every command is loaded when it runs, and only then: each is a bundle of its own, so a
 * replay's start-up never pays for the AWS SDK clients of doctor, redrive, hunt or alerts.
 */
const LAZY_HELP: Record<string, () => Promise<string>> = {
  replay: async () => (await import('./commands/replay')).REPLAY_HELP,
  alerts: async () => (await import('./commands/alerts')).ALERTS_HELP,
  doctor: async () => (await import('./commands/doctor')).DOCTOR_HELP,
  redrive: async () => (await import('./commands/redrive')).REDRIVE_HELP,
  hunt: async () => (await import('./commands/hunt')).HUNT_HELP,
  sigma: async () => (await import('./commands/sigma')).SIGMA_HELP,
};

function hasHelp(command: string | undefined): boolean {
  return command !== undefined && LAZY_HELP[command] !== undefined;
}

/** Every command, as the messages list them: from the one table of commands, so none is left out. */
const TOPICS = ((names: string[]) => `${names.slice(0, -1).join(', ')} or ${names.at(-1) ?? ''}`)(
  Object.keys(LAZY_HELP),
);

/** The message of any thrown value, without `instanceof` (see isUsageError). */
function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}

/**
 * The AwsCommandError in `error`'s cause chain, if any: its message says what to do, which the
 * store's wrapping ("alert store ... failed: ...") would otherwise bury. Found by name, since
 * the chain may cross realms under jest.
 */
function explained(error: unknown): unknown {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth += 1) {
    if ((current as { name?: unknown }).name === 'AwsCommandError') return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Mistakes on the command line: ours, and node's own option-parsing errors. */
function isUsageError(error: unknown): boolean {
  // By name as well: a command's bundle has its own copy of the class.
  if (error instanceof UsageError || (error as { name?: unknown } | null)?.name === 'UsageError')
    return true;
  // parseArgs throws TypeErrors tagged with an ERR_PARSE_ARGS_* code; test the code, not
  // the class, which differs between realms (jest runs tests in its own, where node's
  // TypeError is not even an instance of the test's Error).
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
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
      case '-v':
      case '--version':
      case 'version':
        io.stdout.write(`sgwatch ${version}\n`);
        return 0;
      case 'help': {
        const topic = rest[0];
        if (topic === undefined) {
          io.stdout.write(MAIN_HELP);
          return 0;
        }
        const lazy = LAZY_HELP[topic];
        const text = lazy !== undefined ? await lazy() : undefined;
        if (text === undefined) {
          io.stderr.write(
            `sgwatch: no help on ${JSON.stringify(topic)}: it is not a command; try "sgwatch help" or one of ${TOPICS}\n`,
          );
          return 2;
        }
        io.stdout.write(text);
        return 0;
      }
      case 'replay':
        return await (await import('./commands/replay')).replayCommand(rest, io);
      case 'alerts':
        return await (await import('./commands/alerts')).alertsCommand(rest, io);
      case 'doctor':
        return await (await import('./commands/doctor')).doctorCommand(rest, io);
      case 'hunt':
        return await (await import('./commands/hunt')).huntCommand(rest, io);
      case 'redrive':
        return await (await import('./commands/redrive')).redriveCommand(rest, io);
      case 'sigma':
        return (await import('./commands/sigma')).sigmaCommand(rest, io);
      default:
        throw new UsageError(
          `unknown command ${JSON.stringify(command)}; the commands are ${TOPICS}`,
        );
    }
  } catch (error) {
    if (isUsageError(error)) {
      // One line: what is wrong, then where the usage is.
      io.stderr.write(
        `sgwatch: ${messageOf(error)} (see "sgwatch ${hasHelp(command) ? `${command} ` : ''}--help")\n`,
      );
      return 2;
    }
    // Expected failures (AWS refused, a stack is missing) carry a complete message, even when
    // a layer in between wrapped them; an unexpected one is shown the same way, never as a
    // stack trace.
    io.stderr.write(`sgwatch: ${messageOf(explained(error) ?? error)}\n`);
    return 1;
  }
}
