import type { Alert, BurstPlacement } from '../../lambda/core/alert';
import { buildAlert } from '../../lambda/core/alert';
import {
  ASFF_EFFECT_OF_TACTIC,
  ASFF_LIMITS,
  ASFF_SCHEMA_VERSION,
  ASFF_TTP_CATEGORIES,
  findingIdFor,
  isImportable,
  parseProductArn,
  ProductArnError,
  toFinding,
  typesFor,
  workflowFor,
} from '../../lambda/core/asff';
import type { Detection } from '../../lambda/core/catalog';
import { CATALOG, catalogFor, findDetection } from '../../lambda/core/catalog';
import type { CloudTrailRecord } from '../../lambda/core/cloudtrail';
import { asffProblems } from '../support/asff-validator';
import { fixtureCases, loadRecord } from '../support/fixtures';

const HUB = '999988887777';
const PRODUCT = parseProductArn(`arn:aws:securityhub:us-east-1:${HUB}:product/${HUB}/default`);
/** When the findings below are imported: later than every alert's detection. */
const IMPORTED_AT = new Date('2030-01-01T00:00:00.000Z');
const NOW = new Date('2026-03-15T12:00:00.000Z');
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

interface Case {
  readonly name: string;
  readonly alert: Alert;
  readonly detection: Detection;
}

function detectionOf(id: string): Detection {
  const detection = findDetection(id);
  if (detection === undefined) throw new Error(`no detection ${id}`);
  return detection;
}

function alertOf(detection: Detection, record: CloudTrailRecord): Alert {
  return {
    ...buildAlert(detection, record, { now: NOW, retentionDays: 365 }),
    delivery: 'notified',
  };
}

function placement(kind: BurstPlacement['kind'], sequence: number): BurstPlacement {
  return {
    kind,
    groupId: 'a1b2c3d4e5f6a7b8c9d0',
    threadId: 'a1b2c3d4e5f6a7b8c9d0-1773571200',
    sequence,
    detectionCount: sequence,
    windowMinutes: 60,
    cap: 100,
  };
}

/** Every positive fixture, with every detection it raises. */
function fixtureAlerts(): Case[] {
  return fixtureCases().flatMap((fixture) =>
    fixture.detections.map((id) => {
      const detection = detectionOf(id);
      return {
        name: `${fixture.file} / ${id}`,
        alert: alertOf(detection, loadRecord(fixture.file)),
        detection,
      };
    }),
  );
}

const CONTROL = '\u0000\u001b[31m\u0007\u009b\u202e\u2028\u200b';
const HOSTILE = `${CONTROL}name/with/slashes ${'x'.repeat(5000)}${CONTROL}`;

function hostileAlert(): Case {
  const detection = detectionOf('aws.rds.create-db-security-group');
  const base = loadRecord(
    'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json',
  );
  const alert = alertOf(detection, {
    ...base,
    requestParameters: { dBSecurityGroupName: HOSTILE, dBSecurityGroupDescription: HOSTILE },
    userIdentity: {
      ...base.userIdentity,
      arn: `arn:aws:iam::111122223333:user/${HOSTILE}`,
      userName: HOSTILE,
    },
    userAgent: HOSTILE,
    sourceIPAddress: HOSTILE,
  });
  return { name: 'hostile strings', alert, detection };
}

describe('ASFF mapping', () => {
  const cases = [...fixtureAlerts(), hostileAlert()];

  it('covers every detection in the catalog with at least one fixture', () => {
    // Prepare / Act
    const covered = new Set(cases.map((c) => c.detection.id));
    // Assess
    expect([...covered].sort()).toEqual(CATALOG.map((d) => d.id).sort());
  });

  it.each(cases.map((c) => [c.name, c] as const))(
    'maps %s to a finding Security Hub accepts from the hub account',
    (_name, { alert, detection }) => {
      // Act
      const finding = toFinding(alert, detection, PRODUCT, IMPORTED_AT);
      // Assess
      expect(asffProblems(finding, HUB)).toEqual([]);
      expect(finding.SchemaVersion).toBe(ASFF_SCHEMA_VERSION);
      expect(finding.AwsAccountId).toBe(HUB);
      expect(finding.ProductArn).toBe(PRODUCT.productArn);
      expect(finding.GeneratorId).toBe(detection.id);
      expect(finding.Id).toBe(`sgwatch/alert/${alert.alertId}`);
      expect(finding.Workflow).toEqual({ Status: 'NEW' });
      for (const stamp of [finding.CreatedAt, finding.UpdatedAt, finding.LastObservedAt]) {
        expect(stamp).toMatch(TIMESTAMP);
      }
      // Created when sgwatch decided the alert; updated when imported, never before that.
      expect(finding.CreatedAt).toBe(alert.detectedAt);
      expect(finding.UpdatedAt >= finding.CreatedAt).toBe(true);
      expect(finding.ProductFields['sgwatch/alertId']).toBe(alert.alertId);
      expect(finding.ProductFields['sgwatch/ruleId']).toBe(detection.id);
      expect(finding.ProductFields['sgwatch/riskScore']).toBe(String(alert.riskScore));
      expect(finding.Remediation.Recommendation.Text.length).toBeGreaterThan(0);
    },
  );

  it.each(cases.map((c) => [c.name, c] as const))(
    'types %s by its ATT&CK tactics, in the TTPs namespace or by their effect',
    (_name, { alert, detection }) => {
      const finding = toFinding(alert, detection, PRODUCT, IMPORTED_AT);
      const typed = finding.Types.filter(
        (type) => type.startsWith('TTPs/') || type.startsWith('Effects/'),
      );
      expect(typed).toHaveLength(detection.mitre.length);
      for (const [i, mapping] of detection.mitre.entries()) {
        const [namespace, category, classifier] = (typed[i] ?? '').split('/');
        if (namespace === 'TTPs') {
          expect(ASFF_TTP_CATEGORIES).toContain(category);
          expect(category).toBe(mapping.tactic.name);
        } else {
          expect(category).toBe(ASFF_EFFECT_OF_TACTIC[mapping.tactic.name]);
        }
        expect(classifier).toContain((mapping.subtechnique ?? mapping.technique).id);
      }
      expect(finding.FindingProviderFields.Types).toEqual(finding.Types);
    },
  );

  it('types snapshot sharing and exports as Data Exfiltration with their technique', () => {
    for (const detection of catalogFor('exfiltration')) {
      expect(typesFor(detection)).toEqual([
        'Effects/Data Exfiltration/T1537 Transfer Data to Cloud Account',
      ]);
    }
  });

  it.each([
    [
      'aws.datastore.snapshot-shared',
      'cloudtrail/aws.datastore.snapshot-shared/rds-modify-db-snapshot-attribute.success.shared-unknown-account.json',
      'AwsRdsDbSnapshot',
      'arn:aws:rds:us-west-2:111122223333:snapshot:payments-final-2026-03',
    ],
    [
      'aws.datastore.snapshot-shared',
      'cloudtrail/aws.datastore.snapshot-shared/rds-modify-db-cluster-snapshot-attribute.success.public.json',
      'AwsRdsDbClusterSnapshot',
      'arn:aws:rds:us-west-2:111122223333:cluster-snapshot:ledger-aurora-snap-0304',
    ],
    [
      'aws.redshift.made-public',
      'cloudtrail/aws.redshift.made-public/redshift-create-cluster.success.public.json',
      'AwsRedshiftCluster',
      'arn:aws:redshift:us-east-2:111122223333:cluster:bi-scratch',
    ],
  ])('names the target of %s from %s as %s', (id, file, type, arn) => {
    const detection = detectionOf(id);
    const finding = toFinding(
      alertOf(detection, loadRecord(file)),
      detection,
      PRODUCT,
      IMPORTED_AT,
    );

    expect(finding.Resources).toContainEqual(
      expect.objectContaining({ Type: type, Id: arn, ResourceRole: 'Target' }),
    );
  });

  it('names the member account’s resources by ARN and the caller as an IAM identity', () => {
    // Prepare
    const detection = detectionOf('aws.ec2.datastore-port-open-to-internet');
    const record = loadRecord(
      'cloudtrail/aws.ec2.datastore-port-open-to-internet/ec2-authorize-security-group-ingress.success.postgres-internet.json',
    );
    const alert = alertOf(detection, record);
    // Act
    const finding = toFinding(alert, detection, PRODUCT, IMPORTED_AT);
    // Assess
    const [target, caller, account] = finding.Resources;
    expect(target).toMatchObject({
      Type: 'AwsEc2SecurityGroup',
      Id: `arn:aws:ec2:${alert.region}:${alert.account}:security-group/${alert.resource.name}`,
      Region: alert.region,
      Partition: 'aws',
    });
    expect(alert.account).not.toBe(HUB);
    expect(['AwsIamRole', 'AwsIamUser']).toContain(caller?.Type);
    expect(account).toMatchObject({ Type: 'AwsAccount', Id: `AWS::::Account:${alert.account}` });
    expect(finding.ProductFields['sgwatch/eventAccount']).toBe(alert.account);
  });

  it('names an assumed role by its role ARN, not the session', () => {
    const detection = detectionOf('aws.rds.create-db-security-group');
    const alert = alertOf(
      detection,
      loadRecord(
        'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.assumed-role-tags.json',
      ),
    );
    const caller = toFinding(alert, detection, PRODUCT, IMPORTED_AT).Resources.find(
      (r) => r.ResourceRole === 'Actor',
    );
    expect(alert.actor.roleArn).toBeDefined();
    expect(caller).toMatchObject({ Type: 'AwsIamRole', Id: alert.actor.roleArn });
  });

  it('maps the risk score to Normalized and the alert severity to Label', () => {
    const { alert, detection } = hostileAlert();
    const scored: Alert = { ...alert, riskScore: 81, severity: 'critical' };
    const finding = toFinding(scored, detection, PRODUCT, IMPORTED_AT);
    expect(finding.Severity).toEqual({ Label: 'CRITICAL', Normalized: 81, Original: '81' });
    expect(finding.FindingProviderFields.Severity).toEqual({ Label: 'CRITICAL', Original: '81' });
  });

  it('keeps hostile strings single-line, control-free and within every limit', () => {
    const { alert, detection } = hostileAlert();
    const finding = toFinding(alert, detection, PRODUCT, IMPORTED_AT);
    const everyString = JSON.stringify(finding);
    expect(everyString).not.toMatch(/\\u00(0|1)|\u001b|\u009b|\u202e|\u2028|\u200b/);
    expect(finding.Title.length).toBeLessThanOrEqual(ASFF_LIMITS.title);
    expect(finding.Description.length).toBeLessThanOrEqual(ASFF_LIMITS.description);
    // A name that is not an identifier AWS allows is not made into an ARN.
    expect(finding.Resources.some((r) => r.Id.includes('name/with'))).toBe(false);
    expect(asffProblems(finding, HUB)).toEqual([]);
  });

  it('folds burst updates into the group’s finding with the count and last seen', () => {
    const { alert, detection } = fixtureAlerts()[0] as Case;
    const first = toFinding(
      { ...alert, eventTime: '2026-03-15T12:05:00.000Z', burst: placement('new', 1) },
      detection,
      PRODUCT,
      IMPORTED_AT,
    );
    const later: Alert = {
      ...alert,
      alertId: 'b'.repeat(20),
      eventTime: '2026-03-15T12:10:00.000Z',
      detectedAt: '2026-03-15T12:10:01.000Z',
      burst: placement('update', 4),
    };
    const update = toFinding(later, detection, PRODUCT, new Date(IMPORTED_AT.getTime() + 1));
    expect(update.Id).toBe(first.Id);
    expect(first.Id).toBe('sgwatch/burst/a1b2c3d4e5f6a7b8c9d0-1773571200');
    expect(update.ProductFields).toMatchObject({
      'sgwatch/burst/count': '4',
      'sgwatch/burst/lastSeen': '2026-03-15T12:10:00.000Z',
      'sgwatch/burst/kind': 'update',
      'sgwatch/alertId': 'b'.repeat(20),
    });
    expect(update.LastObservedAt).toBe('2026-03-15T12:10:00.000Z');
    // Each import is newer than the last, so Security Hub applies it; the group's finding
    // keeps the time it was created (its window's start), whichever alert is imported.
    expect(update.UpdatedAt > first.UpdatedAt).toBe(true);
    expect(update.CreatedAt).toBe(first.CreatedAt);
    expect(first.CreatedAt).toBe('2026-03-15T12:00:00.000Z');
    expect(first.FirstObservedAt).toBe('2026-03-15T12:05:00.000Z');
    expect(update.FirstObservedAt).toBeUndefined();
    expect(update.Title).toContain('4 alerts in this burst');
    expect(asffProblems(update, HUB)).toEqual([]);
  });

  it('imports a suppressed alert as SUPPRESSED with the exception in a note', () => {
    const { alert, detection } = fixtureAlerts()[0] as Case;
    const suppressed: Alert = {
      ...alert,
      delivery: 'suppressed',
      status: 'suppressed',
      suppression: {
        exceptionId: 'ci-pipeline',
        reason: `nightly ${CONTROL} rebuild`,
        owner: 'platform',
        expires: '2026-12-31',
      },
    };
    const finding = toFinding(suppressed, detection, PRODUCT, IMPORTED_AT);
    expect(finding.Workflow).toEqual({ Status: 'SUPPRESSED' });
    expect(finding.Note?.Text).toMatch(
      /^Suppressed by sgwatch exception ci-pipeline \(owner platform, expires 2026-12-31\): nightly/,
    );
    expect(finding.Note?.Text).not.toMatch(/\u001b|\u202e/);
    expect(finding.ProductFields['sgwatch/exceptionId']).toBe('ci-pipeline');
    expect(asffProblems(finding, HUB)).toEqual([]);
  });

  it('imports notified and suppressed alerts only, never pending or capped ones', () => {
    const { alert } = fixtureAlerts()[0] as Case;
    const importable = (['pending', 'notified', 'suppressed', 'capped'] as const).filter(
      (delivery) => isImportable({ ...alert, delivery }),
    );
    expect(importable).toEqual(['notified', 'suppressed']);
  });

  it('maps each triage status to a workflow status', () => {
    expect((['open', 'acknowledged', 'resolved', 'suppressed'] as const).map(workflowFor)).toEqual([
      'NEW',
      'NOTIFIED',
      'RESOLVED',
      'SUPPRESSED',
    ]);
  });

  it('keys findings on safe id characters only', () => {
    expect(findingIdFor({ alertId: 'a/b c\u0000', burst: undefined })).toBe('sgwatch/alert/a_b_c_');
  });

  it('rejects a product ARN that is not an account’s default product', () => {
    expect(() => parseProductArn('arn:aws:securityhub:us-east-1::product/aws/guardduty')).toThrow(
      ProductArnError,
    );
    expect(() =>
      parseProductArn('arn:aws:securityhub:us-east-1:111122223333:product/444455556666/default'),
    ).toThrow(/not a default Security Hub product ARN/);
    expect(parseProductArn(PRODUCT.productArn)).toMatchObject({
      account: HUB,
      region: 'us-east-1',
      partition: 'aws',
    });
  });
});

describe('the ASFF validator the local Security Hub uses', () => {
  const { alert, detection } = hostileAlert();
  const valid = toFinding(alert, detection, PRODUCT, IMPORTED_AT) as unknown as Record<
    string,
    unknown
  >;

  it.each([
    ['a missing Title', { Title: undefined }, /Title is required/],
    ['a Title over 256 characters', { Title: 't'.repeat(257) }, /Title is 257 characters/],
    [
      'a Description over 1024 characters',
      { Description: 'd'.repeat(1025) },
      /Description is 1025/,
    ],
    ['no resources', { Resources: [] }, /1-32/],
    [
      '33 resources',
      { Resources: Array.from({ length: 33 }, (_, i) => ({ Type: 'Other', Id: `r${i}` })) },
      /1-32/,
    ],
    ['a timestamp with a space', { CreatedAt: '2026-03-15 12:00:00Z' }, /CreatedAt .* RFC 3339/],
    ['another schema version', { SchemaVersion: '2020-01-01' }, /SchemaVersion/],
    ['a member account as AwsAccountId', { AwsAccountId: '111122223333' }, /calling account/],
    ['a type outside the namespaces', { Types: ['Threats/Persistence'] }, /defined namespace/],
  ])('rejects %s', (_what, change, message) => {
    expect(asffProblems({ ...valid, ...change }, HUB).join('\n')).toMatch(message);
  });
});
