import { cleanText } from '../../lambda/core/text';
import type { OutputFormat } from '../args';
import {
  FORMAT_OPTIONS,
  outputFormat,
  parseOptions,
  UsageError,
  wholeNumber,
  wholeNumberOf,
} from '../args';
import { DEFAULT_STACK_NAME, resolveRegion } from '../aws';
import type { CliIo, Output } from '../io';
import { JsonRecords } from '../io';
import type { EventSummary } from '../redrive/dead-letter';
import type { MessageReport, QueueTarget, RedriveCounts, RedriveRequest } from '../redrive/run';
import { REDRIVE_VISIBILITY_SECONDS, redriveTargets, runRedrive } from '../redrive/run';

export const REDRIVE_HELP = `Usage: sgwatch redrive [options]

Sends the events waiting in sgwatch's dead-letter queues back through the
detector, after whatever stopped them (an SNS or DynamoDB outage, a missing
permission, a bad deployment) is fixed. Each event is invoked synchronously on
the detector Lambda; a message is deleted only once the detector has processed
its event.

Safe to repeat: the detector keys each alert on (detection, CloudTrail
eventID), so an event whose alert was already sent comes back "duplicate" and
is not notified again.

Both queues the stack creates are read (from its CloudFormation outputs):
  detector failure queue  Lambda on-failure records: the event plus the error
                          the detector failed with after its retries
  rule target queue       events EventBridge could not deliver to the detector,
                          with ERROR_CODE and ERROR_MESSAGE attributes
A message in neither format is reported and left where it is, as is an event
the detector fails on again.

Options:
  --stack NAME      the sgwatch stack (default: ${DEFAULT_STACK_NAME})
  --region R        its Region (default: AWS_REGION, AWS_DEFAULT_REGION, or
                    your profile's region)
  --queue URL       redrive this queue instead of the stack's two (repeatable;
                    e.g. a spoke's forwarding failure queue)
  --function NAME   the detector function to invoke (default: the stack's
                    DetectorFunctionName output)
  --dry-run         show what would be redriven; invoke and delete nothing, and
                    make every message visible in its queue again
  --max N           handle at most N messages in all (default: every message)
  --format FORMAT   table (default): a line per message, then a summary;
                    jsonl: one JSON object per message on stdout; json: one
                    array of them (--json is the same). With json and jsonl,
                    the queue lines and the summary go to stderr
  -h, --help        this help

Permissions: cloudformation:DescribeStacks (unless --queue and --function are
both given), sqs:GetQueueAttributes, sqs:ReceiveMessage, sqs:DeleteMessage,
sqs:ChangeMessageVisibility on the queues, lambda:InvokeFunction on the
detector.

Examples:
  sgwatch redrive --dry-run --region eu-west-1
  sgwatch redrive --region eu-west-1
  sgwatch redrive --max 10
  sgwatch redrive --dry-run --format jsonl

Exit status: 0 when every message was redriven (with --dry-run: when every
message would be); 1 when any message is left in a queue or AWS fails; 2 on a
usage error.
`;

const MAX_LIMIT = 1_000_000;

const OPTIONS = {
  stack: { type: 'string' },
  region: { type: 'string' },
  queue: { type: 'string', multiple: true },
  function: { type: 'string' },
  'dry-run': { type: 'boolean' },
  max: { type: 'string', check: wholeNumber(1, MAX_LIMIT) },
  ...FORMAT_OPTIONS,
  help: { type: 'boolean', short: 'h' },
} as const;

/** `eventID eventName account/region` for a report line. */
function eventLabel(event: EventSummary): string {
  return `${event.eventId ?? '-'}  ${event.eventName ?? '-'}  ${event.account ?? '-'}/${event.region ?? '-'}`;
}

/** A message's line of the table: what became of it, the event, and why. */
function messageLine(report: MessageReport): string {
  const line = (status: string, rest: string) => `  ${status.padEnd(13)} ${rest}\n`;
  switch (report.result) {
    case 'unrecognised':
      return line(
        'unrecognised',
        `message ${report.messageId ?? '-'}: ${report.reason}; left in the queue`,
      );
    case 'would-redrive':
      return line(
        'would redrive',
        `${eventLabel(report.event)}  (${report.cause})` +
          (report.rejection !== undefined
            ? `; this sgwatch version would reject it: ${report.rejection}`
            : ''),
      );
    case 'failed':
      return line('failed', `${eventLabel(report.event)}  ${report.error}; left in the queue`);
    case 'redriven':
    case 'not-deleted': {
      const alerts = report.alerts;
      const status =
        alerts === undefined
          ? 'processed'
          : [...new Set(alerts.map((alert) => alert.outcome))].join('+') || 'no alert';
      const detail =
        alerts === undefined
          ? 'the detector succeeded but its response was not readable'
          : alerts.length === 0
            ? 'matched no detection'
            : alerts.map((alert) => alert.ruleId).join(', ');
      return line(
        status,
        `${eventLabel(report.event)}  ${detail}` +
          (report.result === 'not-deleted'
            ? `; processed, but not deleted (${report.deleteError}): a later redrive finds it duplicate`
            : ''),
      );
    }
  }
}

/**
 * A message as a program reads it: every field present, null where the message has none
 * (`alerts` is null when the detector's answer was not readable).
 */
function messageJson(report: MessageReport): Record<string, unknown> {
  const common = {
    result: report.result,
    queue: report.queue.url,
    messageId: report.messageId ?? null,
  };
  if (report.result === 'unrecognised') return { ...common, reason: report.reason };
  const about = {
    ...common,
    eventId: report.event.eventId ?? null,
    eventName: report.event.eventName ?? null,
    account: report.event.account ?? null,
    region: report.event.region ?? null,
    cause: report.cause,
  };
  switch (report.result) {
    case 'would-redrive':
      return { ...about, rejection: report.rejection ?? null };
    case 'failed':
      return { ...about, error: report.error };
    case 'redriven':
      return { ...about, alerts: report.alerts ?? null };
    case 'not-deleted':
      return { ...about, alerts: report.alerts ?? null, deleteError: report.deleteError };
  }
}

function queueLine(queue: QueueTarget, depth: number | undefined): string {
  return `${queue.label} ${queue.url} (${queue.region}): ${depth === undefined ? 'depth unknown' : `about ${depth} message(s)`}\n`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function summary(counts: RedriveCounts, dryRun: boolean): string {
  const more = counts.stoppedAtMax ? ' Stopped at --max; more may be waiting.' : '';
  if (counts.received === 0) return 'Nothing to redrive: the queues are empty.\n';
  if (dryRun) {
    const unrecognised =
      counts.unrecognised > 0 ? `, ${counts.unrecognised} unrecognised (would be left)` : '';
    return (
      `Dry run: ${plural(counts.received, 'message')}, ${counts.wouldRedrive} would be redriven${unrecognised}. ` +
      `Nothing was invoked or deleted; every message is visible in its queue again.${more}\n`
    );
  }
  const outcomes = [...counts.outcomes].map(([outcome, n]) => `${n} ${outcome}`).join(', ');
  const left = counts.received - counts.redriven;
  const reasons = [
    counts.failed > 0 ? `${counts.failed} failed in the detector` : '',
    counts.unrecognised > 0 ? `${counts.unrecognised} unrecognised` : '',
    counts.notDeleted > 0 ? `${counts.notDeleted} not deleted` : '',
  ].filter((reason) => reason !== '');
  return (
    `Redrove ${counts.redriven} of ${plural(counts.received, 'message')}` +
    (outcomes !== '' ? ` (alerts: ${outcomes})` : '') +
    '.' +
    (left > 0
      ? ` Left ${left} in the queues (${reasons.join(', ')}): fix the cause and run sgwatch redrive again.`
      : '') +
    more +
    '\n'
  );
}

function checkQueueUrl(url: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || !['https:', 'http:'].includes(parsed.protocol)) {
    throw new UsageError(
      `--queue must be a queue URL like https://sqs.us-east-1.amazonaws.com/111122223333/name; got "${cleanText(url, 200)}"`,
    );
  }
  return url;
}

/**
 * Where each part of the output goes. The table is all for people, on stdout. For a program,
 * stdout holds the messages alone (JSON streamed as an array, one message at a time, so a
 * long redrive never piles up in memory), and the lines for people go to stderr.
 */
class RedriveOutput {
  private readonly notes: Output;
  /** Where messages go with --format json or jsonl. */
  private readonly records: JsonRecords | undefined;

  constructor(
    format: OutputFormat,
    private readonly io: CliIo,
  ) {
    this.notes = format === 'table' ? io.stdout : io.stderr;
    this.records = format === 'table' ? undefined : new JsonRecords(io.stdout, format);
  }

  note(text: string): void {
    this.notes.write(text);
  }

  message(report: MessageReport): void {
    if (this.records === undefined) this.io.stdout.write(messageLine(report));
    else this.records.write(messageJson(report));
  }

  /** Closes the JSON array, even when the run stopped midway: what was done stays readable. */
  end(): void {
    this.records?.end();
  }
}

/** `sgwatch redrive`: returns the exit code; usage mistakes throw UsageError. */
export async function redriveCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOptions(argv, OPTIONS);
  if (values.help === true) {
    io.stdout.write(REDRIVE_HELP);
    return 0;
  }
  if (positionals.length > 0) {
    throw new UsageError(`redrive takes no arguments; got "${positionals.join(' ')}"`);
  }
  const format = outputFormat(values);
  const queueUrls = values.queue?.map(checkQueueUrl);
  if (values.function !== undefined && values.function.trim() === '') {
    throw new UsageError('--function must not be empty');
  }
  const functionName = values.function?.trim();
  const request: RedriveRequest = {
    stack: values.stack ?? DEFAULT_STACK_NAME,
    region: await resolveRegion(values.region, io.env),
    ...(queueUrls !== undefined ? { queueUrls } : {}),
    ...(functionName !== undefined ? { functionName } : {}),
    dryRun: values['dry-run'] === true,
    max: wholeNumberOf(values.max, MAX_LIMIT),
  };

  const targets = await redriveTargets(request);
  const output = new RedriveOutput(format, io);
  if (request.dryRun) output.note('Dry run: nothing is invoked or deleted.\n');
  let counts: RedriveCounts;
  try {
    counts = await runRedrive(request, targets, {
      onQueue: (queue, depth) => output.note(queueLine(queue, depth)),
      onMessage: (report) => output.message(report),
      onStillHidden: (queue, reason) =>
        io.stderr.write(
          `sgwatch: could not make a message in ${queue.label} visible again (${reason}); it reappears within ${REDRIVE_VISIBILITY_SECONDS / 60} minutes\n`,
        ),
    });
  } finally {
    output.end();
  }
  output.note(summary(counts, request.dryRun));
  if (request.dryRun) return counts.unrecognised === 0 ? 0 : 1;
  return counts.redriven === counts.received ? 0 : 1;
}
