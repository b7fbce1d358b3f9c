import type { DoctorReport, Finding } from '../../cli/commands/doctor';
import { DOCTOR_HELP, uncoveredSources } from '../../cli/commands/doctor';
import { MAIN_HELP } from '../../cli/main';
import { runCli } from '../support/cli';
import type { FakeAws, SgwatchDeployment } from '../support/fakes';
import { deploySgwatch, DETECTOR_FUNCTION, HUB_BUS, startFakeAws } from '../support/fakes';

const REGION = 'us-east-1';
const ESC = '\u001b';

let fakes: FakeAws;
let deployment: SgwatchDeployment;

beforeEach(async () => {
  // Pages of two rules and one subscription: every list doctor reads spans several pages.
  fakes = await startFakeAws({ eventBridgePageSize: 2, snsPageSize: 1 });
  deployment = deploySgwatch(fakes, { region: REGION });
});

afterEach(async () => {
  await fakes.close();
});

function doctor(
  args: readonly string[] = [],
  options: { tty?: boolean; env?: NodeJS.ProcessEnv } = {},
) {
  return runCli(['doctor', '--region', REGION, ...args], options);
}

/** Runs doctor with --format json and returns the report. */
async function report(
  args: readonly string[] = [],
): Promise<{ code: number; report: DoctorReport }> {
  const run = await doctor([...args, '--format', 'json']);
  expect(run.stderr).toBe('');
  return { code: run.code, report: JSON.parse(run.stdout) as DoctorReport };
}

async function finding(
  check: string,
  args: readonly string[] = [],
): Promise<Finding & { code: number }> {
  const { code, report: result } = await report(args);
  const found = result.findings.find((f) => f.check === check);
  if (found === undefined)
    throw new Error(`no ${check} finding in ${JSON.stringify(result.findings)}`);
  return { ...found, code };
}

/** Runs `body` with environment changes (undefined deletes), then restores every key. */
async function withEnv<T>(
  changes: Record<string, string | undefined>,
  body: () => Promise<T>,
): Promise<T> {
  const before = Object.fromEntries(Object.keys(changes).map((key) => [key, process.env[key]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(changes);
  try {
    return await body();
  } finally {
    apply(before);
  }
}

function sns() {
  if (fakes.sns === undefined) throw new Error('SNS is not faked');
  return fakes.sns;
}

describe('sgwatch doctor on a healthy deployment', () => {
  it('passes every check and exits 0', async () => {
    const run = await doctor();

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^sgwatch doctor: stack Sgwatch, account 111122223333, Region us-east-1\n/,
    );
    expect(run.stdout).toMatch(
      /^ok\s+cloudtrail\s+trail org-management-events \(multi-Region, home us-east-1\) is logging/m,
    );
    expect(run.stdout).toMatch(
      new RegExp(
        `^ok\\s+rules\\s+${deployment.ruleNames.length} sgwatch rules on the default event bus and ${deployment.hubRuleNames.length} on the hub bus ${HUB_BUS}, all enabled$`,
        'm',
      ),
    );
    expect(run.stdout).toContain('All 7 checks passed.');
    expect(run.stdout).not.toContain('fix:');
  });

  it('prints one JSON document with every finding for --format json', async () => {
    const { code, report: result } = await report();
    expect(code).toBe(0);
    expect(result).toMatchObject({
      stack: 'Sgwatch',
      region: REGION,
      account: '111122223333',
      status: 'ok',
    });
    expect(result.findings.map((f) => [f.check, f.status])).toEqual([
      ['stack', 'ok'],
      ['cloudtrail', 'ok'],
      ['rules', 'ok'],
      ['alert-subscriptions', 'ok'],
      ['operations-subscriptions', 'ok'],
      ['detector-failure-queue', 'ok'],
      ['rule-target-queue', 'ok'],
    ]);
    expect(result.findings.every((f) => f.fix.length === 0)).toBe(true);
  });

  it('counts a multi-Region trail homed in another Region', async () => {
    fakes.cloudTrail.reset();
    fakes.cloudTrail.addTrail({ name: 'central', homeRegion: 'eu-west-1', multiRegion: true });
    const trail = await finding('cloudtrail');
    expect(trail.status).toBe('ok');
    expect(trail.finding).toContain('central (multi-Region, home eu-west-1)');
  });

  it('counts rules enabled to also match read-only management events', async () => {
    fakes.eventBridge.setState(
      deployment.ruleNames[0] as string,
      'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
    );
    expect((await finding('rules')).status).toBe('ok');
  });
});

describe('sgwatch doctor: CloudTrail', () => {
  it('fails when no trail covers the Region, and says why EventBridge then sees nothing', async () => {
    fakes.cloudTrail.reset();
    // A single-Region trail elsewhere records nothing here.
    fakes.cloudTrail.addTrail({ name: 'eu-only', homeRegion: 'eu-west-1' });

    const trail = await finding('cloudtrail');

    expect(trail.code).toBe(1);
    expect(trail.status).toBe('fail');
    expect(trail.finding).toContain('no CloudTrail trail covers us-east-1');
    expect(trail.finding).toContain(
      '"AWS API Call via CloudTrail" events only from a trail with logging on',
    );
    expect(trail.fix.join('\n')).toContain(
      'aws cloudtrail create-trail --name sgwatch-management-events --s3-bucket-name BUCKET --is-multi-region-trail --region us-east-1',
    );
    expect(trail.fix.join('\n')).toContain(
      'aws cloudtrail start-logging --name sgwatch-management-events',
    );
  });

  it('fails when the trail is not logging, with the command that starts it', async () => {
    fakes.cloudTrail.setLogging('org-management-events', false);

    const trail = await finding('cloudtrail');

    expect(trail.code).toBe(1);
    expect(trail.status).toBe('fail');
    expect(trail.finding).toContain(
      'trail org-management-events (multi-Region, home us-east-1) is not logging',
    );
    expect(trail.fix).toEqual([
      `turn logging on: aws cloudtrail start-logging --name ${deployment.trailArn} --region us-east-1`,
    ]);
  });

  it('fails when the trail records only read-only management events', async () => {
    fakes.cloudTrail.reset();
    const arn = fakes.cloudTrail.addTrail({
      name: 'reads',
      multiRegion: true,
      eventSelectors: [{ ReadWriteType: 'ReadOnly', IncludeManagementEvents: true }],
    });

    const trail = await finding('cloudtrail');

    expect(trail.status).toBe('fail');
    expect(trail.finding).toMatch(/trail reads .* does not record write management events from /);
    expect(trail.finding).toContain('elasticache.amazonaws.com');
    expect(trail.finding).toContain('rds.amazonaws.com');
    expect(trail.fix[0]).toContain(
      `aws cloudtrail put-event-selectors --trail-name ${arn} --region us-east-1`,
    );
  });

  it('fails when advanced event selectors exclude a watched service, naming it', async () => {
    fakes.cloudTrail.reset();
    fakes.cloudTrail.addTrail({
      name: 'advanced',
      multiRegion: true,
      advancedEventSelectors: [
        {
          Name: 'Management events but RDS',
          FieldSelectors: [
            { Field: 'eventCategory', Equals: ['Management'] },
            { Field: 'eventSource', NotEquals: ['rds.amazonaws.com'] },
          ],
        },
      ],
    });

    const trail = await finding('cloudtrail');

    expect(trail.status).toBe('fail');
    expect(trail.finding).toContain(
      'does not record write management events from rds.amazonaws.com',
    );
    expect(trail.finding).not.toContain('elasticache');
    expect(trail.fix[0]).toContain('advanced event selector with eventCategory = Management');
  });

  it('passes when any one trail is good, whatever the others do', async () => {
    fakes.cloudTrail.addTrail({ name: 'stopped', logging: false });
    expect((await finding('cloudtrail')).status).toBe('ok');
  });
});

describe('uncoveredSources', () => {
  const sources = ['elasticache.amazonaws.com', 'rds.amazonaws.com'];
  it.each([
    ['no selectors (CloudTrail logs all management events)', {}, []],
    [
      'All management events',
      { EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: true }] },
      [],
    ],
    ['write-only management events', { EventSelectors: [{ ReadWriteType: 'WriteOnly' }] }, []],
    ['read-only management events', { EventSelectors: [{ ReadWriteType: 'ReadOnly' }] }, sources],
    [
      'data events only',
      { EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: false }] },
      sources,
    ],
    [
      'KMS and RDS Data API excluded (not the watched services)',
      {
        EventSelectors: [
          { ExcludeManagementEventSources: ['kms.amazonaws.com', 'rdsdata.amazonaws.com'] },
        ],
      },
      [],
    ],
    [
      'advanced, read-only',
      {
        AdvancedEventSelectors: [
          {
            FieldSelectors: [
              { Field: 'eventCategory', Equals: ['Management'] },
              { Field: 'readOnly', Equals: ['true'] },
            ],
          },
        ],
      },
      sources,
    ],
    [
      'advanced, writes only',
      {
        AdvancedEventSelectors: [
          {
            FieldSelectors: [
              { Field: 'eventCategory', Equals: ['Management'] },
              { Field: 'readOnly', Equals: ['false'] },
            ],
          },
        ],
      },
      [],
    ],
    [
      'advanced, data events only',
      {
        AdvancedEventSelectors: [
          { FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }] },
        ],
      },
      sources,
    ],
  ])('%s', (_name, selectors, expected) => {
    expect(uncoveredSources(selectors as Parameters<typeof uncoveredSources>[0], sources)).toEqual(
      expected,
    );
  });
});

describe('sgwatch doctor: EventBridge rules', () => {
  it('fails when a rule is disabled, with the command that enables exactly that rule', async () => {
    const [, second, third] = deployment.ruleNames as string[];
    fakes.eventBridge.setState(third as string, 'DISABLED');
    const hubRule = deployment.hubRuleNames[0] as string;
    fakes.eventBridge.setState(hubRule, 'DISABLED', REGION, HUB_BUS);

    const rules = await finding('rules');

    expect(rules.code).toBe(1);
    expect(rules.status).toBe('fail');
    const total = deployment.ruleNames.length + deployment.hubRuleNames.length;
    expect(rules.finding).toMatch(new RegExp(`^2 of ${total} sgwatch rules are disabled`));
    expect(rules.finding).toContain(`${third} (the default event bus)`);
    expect(rules.finding).not.toContain(second as string);
    expect(rules.fix).toEqual([
      `aws events enable-rule --name ${third} --region us-east-1`,
      `aws events enable-rule --name ${hubRule} --event-bus-name ${HUB_BUS} --region us-east-1`,
    ]);
  });

  it('fails when the stack has no rules left on the default bus, ignoring rules that are not sgwatch', async () => {
    for (const name of deployment.ruleNames) fakes.eventBridge.deleteRule(name, REGION);

    const rules = await finding('rules');

    expect(rules.status).toBe('fail');
    expect(rules.finding).toContain('no sgwatch rules on the default event bus in us-east-1');
    expect(rules.fix[0]).toBe('redeploy the stack, which recreates them: npx cdk deploy Sgwatch');
  });
});

describe('sgwatch doctor: subscriptions', () => {
  it('fails when the only subscription to the alert topic awaits confirmation, naming the address', async () => {
    sns().unsubscribeAll(deployment.alertTopicArn);
    sns().subscribe(deployment.alertTopicArn, {
      protocol: 'email',
      endpoint: 'dana@example.com',
      confirmed: false,
    });

    const subscriptions = await finding('alert-subscriptions');

    expect(subscriptions.code).toBe(1);
    expect(subscriptions.status).toBe('fail');
    expect(subscriptions.finding).toContain(
      'no confirmed subscription, only 1 awaiting confirmation (email dana@example.com)',
    );
    expect(subscriptions.finding).toContain('alerts are recorded in the table but reach no one');
    expect(subscriptions.fix[0]).toContain('email sent to email dana@example.com');
    expect(subscriptions.fix[0]).toContain(
      `aws sns subscribe --topic-arn ${deployment.alertTopicArn}`,
    );
  });

  it('fails when nobody is subscribed to the alert topic, with the subscribe command', async () => {
    sns().unsubscribeAll(deployment.alertTopicArn);

    const subscriptions = await finding('alert-subscriptions');

    expect(subscriptions.status).toBe('fail');
    expect(subscriptions.finding).toBe(
      'nobody is subscribed to the alert topic: alerts are recorded in the table but reach no one',
    );
    expect(subscriptions.fix[0]).toBe(
      `subscribe, then confirm from the email AWS sends: aws sns subscribe --topic-arn ${deployment.alertTopicArn} --protocol email --notification-endpoint you@example.com --region us-east-1`,
    );
  });

  it('warns about pending subscriptions beside confirmed ones, reading every page', async () => {
    sns().subscribe(deployment.alertTopicArn, {
      protocol: 'https',
      endpoint: 'https://hooks.example.com/x',
      confirmed: true,
    });
    sns().subscribe(deployment.alertTopicArn, {
      protocol: 'email',
      endpoint: 'new@example.com',
      confirmed: false,
    });

    const subscriptions = await finding('alert-subscriptions');

    expect(subscriptions.code).toBe(0);
    expect(subscriptions.status).toBe('warn');
    expect(subscriptions.finding).toContain(
      '2 confirmed subscription(s), and 1 still awaiting confirmation (email new@example.com)',
    );
  });

  it('only warns when nobody receives the operations topic: detection still works', async () => {
    sns().unsubscribeAll(deployment.operationsTopicArn);

    const operations = await finding('operations-subscriptions');

    expect(operations.code).toBe(0);
    expect(operations.status).toBe('warn');
    expect(operations.fix[0]).toContain(`--topic-arn ${deployment.operationsTopicArn}`);
  });
});

describe('sgwatch doctor: dead-letter queues', () => {
  it('warns about events waiting in a queue and points at sgwatch redrive', async () => {
    fakes.sqs.send(deployment.detectorFailureQueueUrl, '{}');
    fakes.sqs.send(deployment.detectorFailureQueueUrl, '{}');

    const run = await doctor();
    const queue = await finding('detector-failure-queue');

    expect(queue.code).toBe(0);
    expect(queue.status).toBe('warn');
    expect(queue.finding).toBe(
      '2 event(s) waiting in the detector failure queue Sgwatch-DetectorFailureQueue4E6F0A1B-AbCdEf: the detector failed on them after its retries; they raise no alert until redriven',
    );
    expect(queue.fix).toEqual([
      'see each event and why it failed: sgwatch redrive --dry-run --stack Sgwatch --region us-east-1',
      'after fixing the cause, send them through the detector again (within 14 days of their arrival, when SQS drops them): sgwatch redrive --stack Sgwatch --region us-east-1',
    ]);
    expect(run.stdout).toMatch(/^WARN\s+detector-failure-queue\s+2 event\(s\) waiting/m);
    expect(run.stdout).toMatch(
      /^\s+fix: see each event and why it failed: sgwatch redrive --dry-run/m,
    );
    expect(run.stdout).toContain('No failures, 1 warning(s).');
    expect((await finding('rule-target-queue')).status).toBe('ok');
  });
});

describe('sgwatch doctor: the stack', () => {
  it('fails when the stack is not deployed, skips the checks that need it, and still checks the trail and rules', async () => {
    fakes.cloudFormation.deleteStack('Sgwatch', REGION);

    const { code, report: result } = await report();

    expect(code).toBe(1);
    expect(result.account).toBeNull();
    expect(result.findings.map((f) => [f.check, f.status])).toEqual([
      ['stack', 'fail'],
      ['cloudtrail', 'ok'],
      ['rules', 'ok'],
    ]);
    const [stack] = result.findings;
    expect(stack?.finding).toContain('stack Sgwatch does not exist in us-east-1');
    expect(stack?.fix[0]).toBe(
      'deploy it from the sgwatch repository: npx cdk deploy Sgwatch -c alertEmails=you@example.com',
    );
  });

  it('fails on a stack whose creation rolled back, with the delete-then-deploy fix', async () => {
    fakes.cloudFormation.putStack({ name: 'Sgwatch', status: 'ROLLBACK_COMPLETE' });
    const stack = await finding('stack');
    expect(stack.status).toBe('fail');
    expect(stack.fix).toContain(
      'delete the stack (it cannot be updated): aws cloudformation delete-stack --stack-name Sgwatch --region us-east-1',
    );
  });

  it('warns when the last update rolled back', async () => {
    fakes.cloudFormation.putStack({
      name: 'Sgwatch',
      status: 'UPDATE_ROLLBACK_COMPLETE',
      outputs: { AlertTopicArn: deployment.alertTopicArn },
    });
    const stack = await finding('stack');
    expect(stack.status).toBe('warn');
    expect(stack.finding).toContain('the last update of Sgwatch failed and was rolled back');
  });

  it('checks another stack name with --stack', async () => {
    const stack = await finding('stack', ['--stack', 'SgwatchStaging']);
    expect(stack.status).toBe('fail');
    expect(stack.finding).toContain('stack SgwatchStaging does not exist');
  });
});

describe('sgwatch doctor: spokes', () => {
  it('warns about each Region in --regions without enabled sgwatch rules, with the deploy command', async () => {
    fakes.eventBridge.addRule({
      name: 'SgwatchSpoke-eu-west-1-RulesAwsRds',
      region: 'eu-west-1',
      description:
        'sgwatch aws.rds.create-db-security-group: RDS DB security group created (forwarded to the sgwatch hub)',
    });
    fakes.eventBridge.addRule({
      name: 'SgwatchSpoke-eu-central-1-RulesAwsRds',
      region: 'eu-central-1',
      description:
        'sgwatch aws.rds.create-db-security-group: RDS DB security group created (forwarded to the sgwatch hub)',
      state: 'DISABLED',
    });
    fakes.eventBridge.addRule({
      name: 'unrelated',
      region: 'ap-southeast-2',
      description: 'not ours',
    });

    const { code, report: result } = await report([
      '--regions',
      'us-east-1, eu-west-1,eu-central-1,ap-southeast-2',
    ]);

    expect(code).toBe(0);
    const spokes = result.findings.filter((f) => f.check.startsWith('spoke:'));
    expect(spokes.map((f) => [f.check, f.status])).toEqual([
      ['spoke:us-east-1', 'ok'],
      ['spoke:eu-west-1', 'ok'],
      ['spoke:eu-central-1', 'warn'],
      ['spoke:ap-southeast-2', 'warn'],
    ]);
    const [, , disabled, missing] = spokes;
    expect(disabled?.fix).toEqual([
      'aws events enable-rule --name SgwatchSpoke-eu-central-1-RulesAwsRds --region eu-central-1',
    ]);
    expect(missing?.finding).toBe(
      'no sgwatch rules on the default event bus in ap-southeast-2: calls made there are not watched',
    );
    expect(missing?.fix[0]).toContain(
      "npx cdk deploy Sgwatch 'SgwatchSpoke-*' -c regions=us-east-1,eu-west-1,eu-central-1,ap-southeast-2",
    );
  });
});

describe('sgwatch doctor: spoke dead-letter queues', () => {
  it('warns when a spoke in this account holds events it could not forward, with the redrive command', async () => {
    const spokeQueue = fakes.sqs.createQueue('SgwatchSpoke-eu-west-1-ForwardingFailureQueue-Q1', {
      region: 'eu-west-1',
    });
    fakes.cloudFormation.putStack({
      name: 'SgwatchSpoke-eu-west-1',
      region: 'eu-west-1',
      status: 'CREATE_COMPLETE',
      outputs: { ForwardingFailureQueueUrl: spokeQueue },
    });
    const emptyQueue = fakes.sqs.createQueue(
      'SgwatchSpoke-eu-central-1-ForwardingFailureQueue-Q2',
      {
        region: 'eu-central-1',
      },
    );
    fakes.cloudFormation.putStack({
      name: 'SgwatchSpoke-eu-central-1',
      region: 'eu-central-1',
      status: 'CREATE_COMPLETE',
      outputs: { ForwardingFailureQueueUrl: emptyQueue },
    });
    fakes.sqs.send(spokeQueue, '{}');
    fakes.sqs.send(spokeQueue, '{}');

    const { code, report: result } = await report([
      '--regions',
      'eu-west-1,eu-central-1,ap-southeast-2',
    ]);

    const queues = result.findings.filter((f) => f.check.startsWith('spoke-queue:'));
    // ap-southeast-2 has no spoke stack of this app (say a StackSet spoke): nothing to read.
    expect(queues.map((f) => [f.check, f.status])).toEqual([
      ['spoke-queue:eu-west-1', 'warn'],
      ['spoke-queue:eu-central-1', 'ok'],
    ]);
    expect(queues[0]?.finding).toMatch(/^2 event\(s\) in eu-west-1 could not be forwarded/);
    expect(queues[0]?.fix).toEqual([
      `once the hub accepts events again, send them through the detector: sgwatch redrive --queue ${spokeQueue} --function ${DETECTOR_FUNCTION} --region ${REGION}`,
    ]);
    expect(code).toBe(0);
  });
});

describe('sgwatch doctor: output and errors', () => {
  it('marks findings with symbols and colours on a terminal, and plain words otherwise', async () => {
    fakes.sqs.send(deployment.ruleTargetQueueUrl, '{}');
    const tty = await doctor([], { tty: true });
    expect(tty.stdout).toContain(`${ESC}[32m✓ ok  ${ESC}[0m  stack`);
    expect(tty.stdout).toContain(`${ESC}[33m! WARN${ESC}[0m  rule-target-queue`);

    const noColour = await doctor([], { tty: true, env: { NO_COLOR: '1' } });
    expect(noColour.stdout).toContain('✓ ok    stack');
    expect(noColour.stdout).not.toContain(ESC);

    const piped = await doctor();
    expect(piped.stdout).not.toMatch(/[✓✗]|\u001b/);
  });

  it('fails without a stack trace when there are no AWS credentials', async () => {
    const run = await withEnv(
      {
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_SESSION_TOKEN: undefined,
        AWS_PROFILE: undefined,
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
        AWS_CONFIG_FILE: '/nonexistent/config',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      () => doctor(),
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^sgwatch: cannot read stack Sgwatch in us-east-1: no AWS credentials found: /,
    );
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('rejects bad options with a usage error, exit 2', async () => {
    const format = await doctor(['--format', 'xml']);
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('--format must be table, json or jsonl; got "xml"');
    const regions = await doctor(['--regions', 'eu-west-1,mars-1']);
    expect(regions.code).toBe(2);
    expect(regions.stderr).toContain(
      '--regions must be an AWS Region name such as us-east-1; got "mars-1"',
    );
    expect((await doctor(['extra'])).code).toBe(2);
  });

  it('asks for a Region when none is set anywhere', async () => {
    const run = await withEnv(
      {
        AWS_REGION: undefined,
        AWS_DEFAULT_REGION: undefined,
        AWS_PROFILE: undefined,
        AWS_CONFIG_FILE: '/nonexistent/config',
      },
      () => runCli(['doctor']),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no AWS Region: pass --region R, set AWS_REGION');
  });

  it('takes the Region from AWS_DEFAULT_REGION, as the AWS CLI does', async () => {
    const run = await runCli(['doctor', '--format', 'json'], {
      env: { AWS_DEFAULT_REGION: REGION },
    });
    expect((JSON.parse(run.stdout) as DoctorReport).region).toBe(REGION);
  });

  it('is listed in the main help, and prints its own for --help and "help doctor"', async () => {
    expect(MAIN_HELP).toMatch(/^ {2}doctor\s/m);
    expect(MAIN_HELP).toMatch(/^ {2}redrive\s/m);
    expect((await runCli(['doctor', '--help'])).stdout).toBe(DOCTOR_HELP);
    expect((await runCli(['help', 'doctor'])).stdout).toBe(DOCTOR_HELP);
  });
});
