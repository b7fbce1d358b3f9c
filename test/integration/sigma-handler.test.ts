/**
 * A deployed Sigma rule, end to end in the detector: the rules file synth bundles, the
 * handler built from the environment as in Lambda, dynalite and the local SNS endpoint. The
 * alert is recorded and published as a built-in detection's would be.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alertIdFor } from '../../lambda/core/alert';
import { createHandler, handlerDepsFromEnvironment } from '../../lambda/handler';
import { readSigmaSources, SIGMA_RULES_FILE_NAME } from '../../lambda/sigma-loader';
import { loadSigmaRules } from '../../lambda/core/sigma';
import { Template } from 'aws-cdk-lib/assertions';
import { matchesPattern } from '../support/event-pattern';
import { route } from '../support/eventbridge';
import { loadEnvelope } from '../support/fixtures';
import type { LocalAws } from '../support/servers';
import { startLocalAws } from '../support/servers';
import { removeTemporaryDirs, synthesize } from '../support/synth';

const ROOT = join(__dirname, '..', '..');
const RULE_ID = 'sigma.5b1e3f0a-7c2d-4e8f-9a6b-1c2d3e4f5a6b';
const SIGN_IN_RULE =
  'test/fixtures/sigma/sigmahq/aws_cloudtrail_console_login_failed_authentication.yml';

let aws: LocalAws;
let dir: string;

beforeAll(async () => {
  aws = await startLocalAws();
  dir = mkdtempSync(join(tmpdir(), 'sgwatch-sigma-handler-'));
  writeFileSync(
    join(dir, SIGMA_RULES_FILE_NAME),
    JSON.stringify(readSigmaSources(['test/fixtures/sigma/rules'], ROOT)),
  );
});

beforeEach(() => {
  aws.sns.reset();
});

afterAll(async () => {
  await aws.close();
  rmSync(dir, { recursive: true, force: true });
});

function stopLoggingEvent(eventID: string): Record<string, unknown> {
  const envelope = loadEnvelope(
    'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json',
  ) as unknown as Record<string, Record<string, unknown>>;
  return {
    ...envelope,
    source: 'aws.cloudtrail',
    detail: {
      ...envelope.detail,
      eventID,
      eventSource: 'cloudtrail.amazonaws.com',
      eventName: 'StopLogging',
      requestParameters: { name: 'arn:aws:cloudtrail:us-east-1:111122223333:trail/main' },
      responseElements: null,
    },
  };
}

function sigmaHandler() {
  return createHandler(
    handlerDepsFromEnvironment({
      ...process.env,
      LAMBDA_TASK_ROOT: dir,
      SGWATCH_SIGMA_RULES_FILE: SIGMA_RULES_FILE_NAME,
    }),
  );
}

/** A failed console sign-in, as EventBridge delivers it (its own detail-type). */
function failedConsoleLogin(eventID: string): Record<string, unknown> {
  return {
    version: '0',
    id: `sign-in-${eventID}`,
    'detail-type': 'AWS Console Sign In via CloudTrail',
    source: 'aws.signin',
    account: '111122223333',
    time: '2026-03-01T12:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: {
      eventVersion: '1.08',
      userIdentity: {
        type: 'IAMUser',
        principalId: 'AIDAEXAMPLE',
        arn: 'arn:aws:iam::111122223333:user/alice',
        accountId: '111122223333',
        userName: 'alice',
      },
      eventTime: '2026-03-01T12:00:00Z',
      eventSource: 'signin.amazonaws.com',
      eventName: 'ConsoleLogin',
      awsRegion: 'us-east-1',
      sourceIPAddress: '203.0.113.9',
      userAgent: 'Mozilla/5.0',
      errorMessage: 'Failed authentication',
      requestParameters: null,
      responseElements: { ConsoleLogin: 'Failure' },
      additionalEventData: { MobileVersion: 'No', MFAUsed: 'No' },
      eventID,
      readOnly: false,
      eventType: 'AwsConsoleSignIn',
      managementEvent: true,
      recipientAccountId: '111122223333',
      eventCategory: 'Management',
    },
  };
}

describe('the detector with Sigma rules deployed', () => {
  it('alerts on a console sign-in a Sigma rule matches, which the rule’s pattern routes', async () => {
    const sources = readSigmaSources([SIGN_IN_RULE], ROOT);
    const [rule] = loadSigmaRules(sources).compiled;
    const event = failedConsoleLogin(`sigma-sign-in-${Date.now()}`);
    expect(rule?.patterns.patterns.some((pattern) => matchesPattern(pattern, event))).toBe(true);
    writeFileSync(join(dir, 'sign-in-rules.json'), JSON.stringify(sources));
    const handler = createHandler(
      handlerDepsFromEnvironment({
        ...process.env,
        LAMBDA_TASK_ROOT: dir,
        SGWATCH_SIGMA_RULES_FILE: 'sign-in-rules.json',
      }),
    );
    const result = await handler(event);
    expect(result.alerts).toEqual([
      expect.objectContaining({ ruleId: rule?.detection.id, outcome: 'notified' }),
    ]);
  });

  it('takes its events through the synthesized rules and their routed input', async () => {
    // Given the stack synthesized with the rules, and the detector holding the same rules
    const sgwatch = synthesize({ sigmaRules: 'test/fixtures/sigma/rules' });
    const template = Template.fromStack(sgwatch.stack).toJSON();
    const event = stopLoggingEvent(`sigma-routed-${Date.now()}`);
    // When EventBridge routes a call one rule matches
    const routed = route(template, 'default', event);
    expect(routed.map(({ input }) => (input as { detection: string }).detection)).toEqual([
      RULE_ID,
    ]);
    const result = await sigmaHandler()(routed[0]?.input);
    // Then that detection, and only it, alerts once
    expect(result.alerts).toEqual([
      expect.objectContaining({ ruleId: RULE_ID, outcome: 'notified' }),
    ]);
    expect(aws.sns.published).toHaveLength(1);
    removeTemporaryDirs();
  });

  it('records and publishes a Sigma alert once, like any other', async () => {
    const handler = sigmaHandler();
    const event = stopLoggingEvent(`sigma-itest-${Date.now()}`);
    const eventId = (event.detail as { eventID: string }).eventID;
    const alertId = alertIdFor(RULE_ID, eventId);

    const first = await handler(event);
    const again = await handler(event);

    expect(first.alerts).toEqual([{ alertId, ruleId: RULE_ID, outcome: 'notified' }]);
    expect(again.alerts).toEqual([{ alertId, ruleId: RULE_ID, outcome: 'duplicate' }]);
    expect(aws.sns.published).toHaveLength(1);
    const [published] = aws.sns.published;
    expect(published?.attributes.ruleId?.stringValue).toBe(RULE_ID);
    expect(published?.attributes.severity?.stringValue).toBe('high');
    const email = JSON.parse(published?.message ?? '{}').email as string;
    expect(email).toContain('CloudTrail logging stopped or trail deleted');
    expect(email).toContain('StopLogging on cloudtrail.amazonaws.com matched the Sigma rule');
  });
});
