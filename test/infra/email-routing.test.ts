import { Template } from 'aws-cdk-lib/assertions';
import { removeTemporaryDirs, synthesize } from '../support/synth';
import type { Alert, BurstPlacement } from '../../lambda/core/alert';
import { buildAlert } from '../../lambda/core/alert';
import type { Detection, Severity } from '../../lambda/core/catalog';
import { findDetection } from '../../lambda/core/catalog';
import { renderMessage } from '../../lambda/core/render';
import { matchesPattern } from '../support/event-pattern';
import { loadRecord } from '../support/fixtures';

/**
 * The email subscriptions' filter policies, as synthesized, evaluated against the message
 * attributes the detector really publishes: routing is proven end to end, not by shape.
 * SNS attribute filtering uses the same operators as EventBridge patterns for what we use
 * (string lists, `exists`, `$or`), so the pattern matcher evaluates it.
 */
afterAll(removeTemporaryDirs);

function emailFilterPolicy(context: Record<string, unknown>): Record<string, unknown> {
  const { stack } = synthesize({ alertEmails: 'secops@example.com', ...context });
  const subscriptions = Template.fromStack(stack).findResources('AWS::SNS::Subscription', {
    Properties: { Protocol: 'email', FilterPolicy: {} },
  });
  const [subscription] = Object.values(subscriptions);
  return (subscription?.Properties as { FilterPolicy: Record<string, unknown> }).FilterPolicy;
}

const rds = findDetection('aws.rds.create-db-security-group') as Detection;
const base = buildAlert(
  rds,
  loadRecord(
    'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json',
  ),
  {
    now: new Date('2026-03-02T10:00:00Z'),
    retentionDays: 30,
  },
);

function attributesFor(
  severity: Severity,
  kind: BurstPlacement['kind'] | undefined,
): Record<string, string> {
  const alert: Alert = {
    ...base,
    severity,
    ...(kind !== undefined
      ? {
          burst: {
            kind,
            groupId: 'g',
            threadId: 't',
            sequence: kind === 'new' ? 1 : 2,
            detectionCount: kind === 'summary' ? 101 : 2,
            windowMinutes: 60,
            cap: 100,
          },
        }
      : {}),
  };
  return { ...renderMessage(alert, rds).attributes };
}

const SEVERITIES: Severity[] = ['low', 'medium', 'high', 'critical'];
const KINDS = ['new', 'update', 'summary'] as const;

describe('email routing through subscription filter policies', () => {
  it.each([
    [
      { emailMinSeverity: 'high' },
      (s: Severity, k: string) => ['high', 'critical'].includes(s) && k !== 'update',
    ],
    [{ emailMinSeverity: 'low' }, (_s: Severity, k: string) => k !== 'update'],
    [{ emailMinSeverity: 'medium', emailNewAlertsOnly: 'false' }, (s: Severity) => s !== 'low'],
  ])('delivers exactly the intended messages with %j', (context, expected) => {
    const policy = emailFilterPolicy(context);
    for (const severity of SEVERITIES) {
      for (const kind of KINDS) {
        expect([severity, kind, matchesPattern(policy, attributesFor(severity, kind))]).toEqual([
          severity,
          kind,
          expected(severity, kind),
        ]);
      }
    }
  });

  it('delivers a message published without the notification attribute as a new alert', () => {
    const policy = emailFilterPolicy({ emailMinSeverity: 'low' });
    const { notification: _dropped, ...legacy } = attributesFor('low', undefined);
    expect(matchesPattern(policy, legacy)).toBe(true);
  });
});
