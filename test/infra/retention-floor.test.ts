/**
 * The alert retention floor is the longest time a copy of an event can take to reach the
 * detector, as deployed: this reads the retry and retention settings out of synthesized hub,
 * spoke and StackSet spoke templates and holds the floor to them.
 */
import { Template } from 'aws-cdk-lib/assertions';
import type { Stack } from 'aws-cdk-lib';
import { ConfigError, parseConfig } from '../../lib/config';
import {
  LONGEST_DELIVERY_HOURS,
  MIN_ALERT_RETENTION_DAYS,
  retentionFloorReason,
} from '../../lib/retention-floor';
import { removeTemporaryDirs, stackSetSpokeOf, synthesize } from '../support/synth';

afterAll(removeTemporaryDirs);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const HUB = { account: '111122223333', region: 'us-east-1' };

function resourcesOf(stack: Stack, type: string): Json[] {
  return Object.values<Json>(Template.fromStack(stack).findResources(type));
}

/** The longest retry window any rule target in `stack` is given, in seconds. */
function longestRuleRetry(stack: Stack): number {
  const ages = resourcesOf(stack, 'AWS::Events::Rule').flatMap((rule) =>
    (rule.Properties.Targets as Json[]).map((target) => {
      const age: unknown = target.RetryPolicy?.MaximumEventAgeInSeconds;
      // EventBridge's default for a target without a retry policy is a day.
      return typeof age === 'number' ? age : 24 * 3600;
    }),
  );
  expect(ages.length).toBeGreaterThan(0);
  return Math.max(...ages);
}

function longestQueueRetention(stacks: readonly Stack[]): number {
  const periods = stacks.flatMap((stack) =>
    resourcesOf(stack, 'AWS::SQS::Queue').map((queue) => {
      const period: unknown = queue.Properties.MessageRetentionPeriod;
      // SQS keeps a message four days unless told otherwise.
      return typeof period === 'number' ? period : 4 * 86_400;
    }),
  );
  expect(periods.length).toBeGreaterThan(0);
  return Math.max(...periods);
}

describe('the alert retention floor', () => {
  it('is the longest path an event can take to the detector in the synthesized stacks', () => {
    // Arrange
    const sgwatch = synthesize(
      { regions: 'us-east-1,eu-west-1', organizationId: 'o-a1b2c3d4e5' },
      { hubEnv: HUB },
    );
    const spokes = [...sgwatch.spokes, stackSetSpokeOf(sgwatch)];
    expect(sgwatch.spokes.length).toBeGreaterThan(0);

    // Act
    const spokeRetry = Math.max(...spokes.map(longestRuleRetry));
    const hubRetry = longestRuleRetry(sgwatch.stack);
    const [invokeConfig, ...more] = resourcesOf(sgwatch.stack, 'AWS::Lambda::EventInvokeConfig');
    const lambdaAge = invokeConfig?.Properties.MaximumEventAgeInSeconds as number;
    const queueRetention = longestQueueRetention([sgwatch.stack, ...spokes]);

    // Assert
    expect(more).toEqual([]);
    const longestSeconds = spokeRetry + hubRetry + lambdaAge + queueRetention;
    expect(LONGEST_DELIVERY_HOURS * 3600).toBe(longestSeconds);
    expect(MIN_ALERT_RETENTION_DAYS * 86_400).toBeGreaterThan(longestSeconds);
    expect((MIN_ALERT_RETENTION_DAYS - 1) * 86_400).toBeLessThanOrEqual(longestSeconds);
  });

  it('accepts 16 and 17 days today: 14 days of queue retention after 32 hours of retries', () => {
    expect(MIN_ALERT_RETENTION_DAYS).toBe(16);
    expect(parseConfig({ alertRetentionDays: 16 }).alertRetentionDays).toBe(16);
    expect(parseConfig({ alertRetentionDays: '17' }).alertRetentionDays).toBe(17);
  });

  it.each([14, 15])('rejects %i days, naming the floor and why in one line', (days) => {
    let thrown: unknown;
    try {
      parseConfig({ alertRetentionDays: days });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const { key, message } = thrown as ConfigError;
    expect(key).toBe('alertRetentionDays');
    expect(message).not.toContain('\n');
    expect(message).toContain(`${days} days is below the floor of 16 days`);
    expect(message).toContain(retentionFloorReason());
    expect(message).toContain(
      '15 days 8 h after it happened (24 h spoke retries + 2 h hub rule retries + 6 h Lambda event age + 14 days failure queue retention)',
    );
    expect(message).toMatch(/use 16 or more$/);
  });
});
