import { checkRegionName, DEFAULT_STACK_NAME, resolveRegion } from '../aws';
import type { DoctorReport } from '../doctor/findings';
import { overall } from '../doctor/findings';
import { textReport } from '../doctor/report';
import { createDoctorClients, runChecks } from '../doctor/run';
import type { CliIo } from '../io';
import { FORMAT_OPTIONS, outputFormat, parseOptions, UsageError } from '../args';

export type { CheckStatus, DoctorReport, Finding } from '../doctor/findings';
export { uncoveredSources } from '../doctor/cloudtrail';

export const DOCTOR_HELP = `Usage: sgwatch doctor [options]

Checks a deployed sgwatch in one account and Region for what silently stops
detection, and prints each finding with the fix:

  stack                  the stack exists and is not failed or rolled back
  cloudtrail             a trail with logging on records write management events
                         here (EventBridge only receives "AWS API Call via
                         CloudTrail" events from such a trail)
  rules                  the stack's EventBridge rules (description "sgwatch
                         ...") exist and are enabled
  alert-subscriptions    someone has confirmed a subscription to the alert topic
  operations-subscriptions
                         the same for the pipeline-alarm topic
  detector-failure-queue, rule-target-queue
                         no events are waiting in the dead-letter queues
  spoke:<region>         with --regions: each Region has enabled sgwatch rules
  spoke-queue:<region>   with --regions: this account's spoke there holds no
                         events it failed to forward to the hub
  security-hub           when the stack imports findings: Security Hub is
                         enabled here and receiving sgwatch findings

Options:
  --stack NAME          the sgwatch stack (default: ${DEFAULT_STACK_NAME})
  --region R            its Region (default: AWS_REGION, AWS_DEFAULT_REGION, or
                        your profile's region)
  --regions A,B,...     also check that each of these Regions has a spoke (or
                        the hub): enabled sgwatch rules on its default event bus
  --format FORMAT       table (default): the report; json: one JSON document;
                        jsonl: one line per check. --json is --format json
  -h, --help            this help

Read-only. Permissions: cloudformation:DescribeStacks,
cloudtrail:DescribeTrails, cloudtrail:GetTrailStatus,
cloudtrail:GetEventSelectors, events:ListRules, sns:ListSubscriptionsByTopic,
sqs:GetQueueAttributes; with Security Hub findings on, securityhub:DescribeHub
and securityhub:GetFindings.

Examples:
  sgwatch doctor --region eu-west-1
  sgwatch doctor --region eu-west-1 --regions eu-west-1,eu-central-1,us-east-1
  sgwatch doctor --format json

Exit status: 0 when nothing failed (warnings allowed); 1 when a check failed or
AWS could not be read; 2 on a usage error.
`;

const OPTIONS = {
  stack: { type: 'string' },
  region: { type: 'string' },
  regions: { type: 'string' },
  ...FORMAT_OPTIONS,
  help: { type: 'boolean', short: 'h' },
} as const;

function parseRegions(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  const regions = raw
    .split(',')
    .map((region) => region.trim())
    .filter((region) => region !== '');
  if (regions.length === 0) throw new UsageError('--regions must list at least one Region');
  return [...new Set(regions.map((region) => checkRegionName(region, '--regions')))];
}

/** `sgwatch doctor`: returns the exit code; usage mistakes throw UsageError. */
export async function doctorCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOptions(argv, OPTIONS);
  if (values.help === true) {
    io.stdout.write(DOCTOR_HELP);
    return 0;
  }
  if (positionals.length > 0) {
    throw new UsageError(`doctor takes no arguments; got "${positionals.join(' ')}"`);
  }
  const format = outputFormat(values);
  const stackName = values.stack ?? DEFAULT_STACK_NAME;
  if (stackName.trim() === '') throw new UsageError('--stack must not be empty');
  const spokeRegions = parseRegions(values.regions);
  const region = await resolveRegion(values.region, io.env);

  const clients = createDoctorClients(region);
  let run;
  try {
    run = await runChecks(clients, { region, stackName }, spokeRegions);
  } finally {
    clients.destroy();
  }
  const { stack, findings } = run;
  const report: DoctorReport = {
    stack: stack?.name ?? stackName,
    region,
    account: stack?.account ?? null,
    status: overall(findings),
    findings,
  };
  io.stdout.write(
    format === 'json'
      ? `${JSON.stringify(report, null, 2)}\n`
      : format === 'jsonl'
        ? report.findings
            .map((finding) => `${JSON.stringify({ stack: report.stack, region, ...finding })}\n`)
            .join('')
        : textReport(report, io),
  );
  return report.status === 'fail' ? 1 : 0;
}
