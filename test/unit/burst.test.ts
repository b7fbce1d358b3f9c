import { buildAlert } from '../../lambda/core/alert';
import { burstGroupId, placeInBurst } from '../../lambda/core/burst';
import type { Detection } from '../../lambda/core/catalog';
import { findDetection } from '../../lambda/core/catalog';
import { loadRecord } from '../support/fixtures';

const rds = findDetection('aws.rds.create-db-security-group') as Detection;
const SETTINGS = { windowMinutes: 60, maxNotificationsPerWindow: 3 };

function alertWith(arn: string, region = 'us-east-1', group = 'g-1') {
  const base = loadRecord(
    'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json',
  );
  return buildAlert(
    rds,
    {
      ...base,
      awsRegion: region,
      userIdentity: { ...base.userIdentity, arn },
      requestParameters: { dBSecurityGroupName: group },
    },
    { now: new Date('2026-03-02T10:00:00Z'), retentionDays: 30 },
  );
}

describe('placeInBurst', () => {
  it.each([
    [1, 1, 'new'],
    [2, 2, 'update'],
    [7, 3, 'update'],
    [1, 3, 'new'],
    [3, 4, 'summary'],
    [1, 4, 'summary'],
    [4, 5, 'capped'],
    [1, 9, 'capped'],
  ])('places group sequence %i with detection count %i as %s', (sequence, detectionCount, kind) => {
    const placement = placeInBurst(
      'group',
      { sequence, detectionCount, threadId: 't-1' },
      SETTINGS,
    );
    expect(placement).toEqual({
      kind,
      groupId: 'group',
      threadId: 't-1',
      sequence,
      detectionCount,
      windowMinutes: 60,
      cap: 3,
    });
  });
});

describe('burstGroupId', () => {
  const arn = 'arn:aws:iam::111122223333:user/dana';

  it('groups alerts of one caller in one account and Region, whatever group they create', () => {
    expect(burstGroupId(rds, alertWith(arn, 'us-east-1', 'a'))).toBe(
      burstGroupId(rds, alertWith(arn, 'us-east-1', 'b')),
    );
  });

  it.each([
    ['another caller', alertWith('arn:aws:iam::111122223333:user/erin')],
    ['another Region', alertWith(arn, 'eu-west-1')],
  ])('separates %s', (_label, other) => {
    expect(burstGroupId(rds, other)).not.toBe(burstGroupId(rds, alertWith(arn)));
  });

  it('follows a detection that groups by the created resource instead', () => {
    const byResource: Detection = { ...rds, burstGroupBy: ['account', 'resourceName'] };
    expect(burstGroupId(byResource, alertWith(arn, 'us-east-1', 'a'))).not.toBe(
      burstGroupId(byResource, alertWith(arn, 'us-east-1', 'b')),
    );
    expect(burstGroupId(byResource, alertWith(arn, 'us-east-1', 'a'))).toBe(
      burstGroupId(byResource, alertWith('arn:aws:iam::111122223333:user/erin', 'eu-west-1', 'a')),
    );
  });
});
