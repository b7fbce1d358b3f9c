/**
 * An alert as an AWS Security Finding Format (ASFF) finding, for AWS Security Hub. Pure: the
 * product (ARN and the account that imports) is an input, and every string from the event
 * is cleaned and cut to the limit the ASFF documents for its field.
 *
 * Attribution. With the account's default product, Security Hub accepts a finding only when
 * its `AwsAccountId` is the account calling `BatchImportFindings`. The detector runs in the
 * hub account and sees member accounts' calls, so every finding belongs to the hub account,
 * and its `Resources` name the member account's resources: ARNs carrying the member
 * account and Region, the caller's IAM identity, and the member account itself
 * (`AwsAccount`). `ProductFields` repeat the member account and Region for filters.
 *
 * Bursts. Alerts of one burst group window (same detection, caller, account and Region, as
 * the SNS thread) fold into one finding, keyed by the group's thread: each imported alert
 * updates it with the running count and when the group was last seen, the way repeated
 * activity updates one finding elsewhere in Security Hub. An alert outside any group (a
 * suppressed one) is its own finding, keyed by its alert id.
 */
import type { Alert } from './alert';
import type { AttackMapping, Detection } from './catalog';
import { cleanText, stripControl, truncate } from './text';
import { windowStartOf } from './burst';

export const ASFF_SCHEMA_VERSION = '2018-10-08';

/** Documented limits (AWS Security Hub API reference, AwsSecurityFinding and its parts). */
export const ASFF_LIMITS = {
  id: 512,
  generatorId: 512,
  title: 256,
  description: 1024,
  types: 50,
  resourcesMin: 1,
  resourcesMax: 32,
  resourceType: 256,
  resourceRegion: 16,
  productFieldPairs: 50,
  productFieldKey: 128,
  productFieldValue: 2048,
  otherDetailKey: 127,
  otherDetailValue: 1023,
  noteText: 512,
  recommendationText: 512,
  productName: 128,
  companyName: 128,
  /** Whole finding, in bytes. */
  findingBytes: 240 * 1024,
} as const;

/** The namespaces of the ASFF Types taxonomy; the first path segment must be one of them. */
export const ASFF_TYPE_NAMESPACES = [
  'Software and Configuration Checks',
  'TTPs',
  'Effects',
  'Unusual Behaviors',
  'Sensitive Data Identifications',
] as const;

/** The TTPs categories the taxonomy defines, aligned with ATT&CK tactic names. */
export const ASFF_TTP_CATEGORIES: readonly string[] = [
  'Initial Access',
  'Execution',
  'Persistence',
  'Privilege Escalation',
  'Defense Evasion',
  'Credential Access',
  'Discovery',
  'Lateral Movement',
  'Collection',
  'Command and Control',
];

/**
 * ATT&CK tactics the TTPs categories leave out but an Effects category names: an exfiltration
 * technique is typed by its effect, keeping the technique as the classifier.
 */
export const ASFF_EFFECT_OF_TACTIC: Readonly<Record<string, string>> = {
  Exfiltration: 'Data Exfiltration',
};

export type AsffSeverityLabel = 'INFORMATIONAL' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
export type AsffWorkflowStatus = 'NEW' | 'NOTIFIED' | 'RESOLVED' | 'SUPPRESSED';
export type AsffPartition = 'aws' | 'aws-cn' | 'aws-us-gov';

export interface AsffResource {
  readonly Type: string;
  readonly Id: string;
  readonly Partition?: AsffPartition;
  readonly Region?: string;
  readonly ResourceRole?: 'Actor' | 'Target';
  readonly Details?: { readonly Other: Readonly<Record<string, string>> };
}

export interface AsffSeverity {
  readonly Label: AsffSeverityLabel;
  readonly Normalized?: number;
  readonly Original?: string;
}

/** The part of the ASFF this mapping fills in; every other attribute is left to Security Hub. */
export interface AsffFinding {
  readonly SchemaVersion: string;
  readonly Id: string;
  readonly ProductArn: string;
  readonly ProductName: string;
  readonly CompanyName: string;
  readonly GeneratorId: string;
  readonly AwsAccountId: string;
  readonly Types: readonly string[];
  readonly FirstObservedAt?: string;
  readonly LastObservedAt: string;
  readonly CreatedAt: string;
  readonly UpdatedAt: string;
  readonly Severity: AsffSeverity;
  readonly Title: string;
  readonly Description: string;
  readonly Remediation: {
    readonly Recommendation: { readonly Text: string; readonly Url?: string };
  };
  readonly SourceUrl?: string;
  readonly ProductFields: Readonly<Record<string, string>>;
  readonly Resources: readonly AsffResource[];
  readonly FindingProviderFields: {
    readonly Severity: { readonly Label: AsffSeverityLabel; readonly Original: string };
    readonly Types: readonly string[];
  };
  readonly Workflow: { readonly Status: AsffWorkflowStatus };
  readonly RecordState: 'ACTIVE';
  readonly Note?: { readonly Text: string; readonly UpdatedBy: string; readonly UpdatedAt: string };
}

/** The custom product findings are imported under: the account's own default product. */
export interface FindingProduct {
  /** `arn:PARTITION:securityhub:REGION:ACCOUNT:product/ACCOUNT/default` */
  readonly productArn: string;
  /** The account calling BatchImportFindings, which owns every finding it imports. */
  readonly account: string;
  readonly partition: AsffPartition;
}

const PRODUCT_ARN =
  /^arn:(aws|aws-cn|aws-us-gov):securityhub:([a-z0-9-]{1,16}):(\d{12}):product\/(\d{12})\/default$/;

/** Thrown when a product ARN is not an account's default Security Hub product. */
export class ProductArnError extends Error {
  override readonly name = 'ProductArnError';
}

/** Reads a default-product ARN; the account in it must own the product. */
export function parseProductArn(productArn: string): FindingProduct & { readonly region: string } {
  const match = PRODUCT_ARN.exec(productArn);
  const [, partition, region, account, owner] = match ?? [];
  if (
    partition === undefined ||
    region === undefined ||
    account === undefined ||
    account !== owner
  ) {
    throw new ProductArnError(
      `"${cleanText(productArn, 200)}" is not a default Security Hub product ARN ` +
        '(arn:aws:securityhub:REGION:ACCOUNT:product/ACCOUNT/default)',
    );
  }
  return { productArn, account, region, partition: partition as AsffPartition };
}

/**
 * Which alerts become findings, and as what. Capped alerts (past the detection's cap for the
 * window) and alerts still pending are not imported: each import is billed, and a flood that
 * SNS stays quiet about should not become a flood of ingestion events either.
 */
export function isImportable(alert: Pick<Alert, 'delivery'>): boolean {
  return alert.delivery === 'notified' || alert.delivery === 'suppressed';
}

/** A safe id segment: what the alert id and thread ids are made of, nothing else. */
function idSegment(value: string): string {
  return value.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200);
}

/**
 * The finding an alert lands in: its burst group's (the thread every alert of the group
 * window shares) when it was placed in one, else its own. A retry, resume or takeover
 * reproduces the placement, so it lands on the same finding.
 */
export function findingIdFor(alert: Pick<Alert, 'alertId' | 'burst'>): string {
  return alert.burst !== undefined
    ? `sgwatch/burst/${idSegment(alert.burst.threadId)}`
    : `sgwatch/alert/${idSegment(alert.alertId)}`;
}

/** The workflow status a triage status stands for in Security Hub. */
export function workflowFor(status: Alert['status']): AsffWorkflowStatus {
  switch (status) {
    case 'acknowledged':
      return 'NOTIFIED';
    case 'resolved':
      return 'RESOLVED';
    case 'suppressed':
      return 'SUPPRESSED';
    case 'open':
      return 'NEW';
  }
}

/** One-line, bounded, control-free text; ASFF requires at least one non-space character. */
function text(value: string | undefined, max: number, fallback = '-'): string {
  const cleaned = cleanText(value, max);
  return cleaned === '' ? fallback : cleaned;
}

function typeFor(mapping: AttackMapping): string {
  const technique = mapping.subtechnique ?? mapping.technique;
  const classifier =
    mapping.subtechnique !== undefined
      ? `${technique.id} ${mapping.technique.name}: ${technique.name}`
      : `${technique.id} ${technique.name}`;
  // Slashes separate the path's levels; none may hide inside a name.
  const safe = classifier.replace(/\//g, '-');
  if (ASFF_TTP_CATEGORIES.includes(mapping.tactic.name)) {
    return `TTPs/${mapping.tactic.name}/${safe}`;
  }
  const effect = ASFF_EFFECT_OF_TACTIC[mapping.tactic.name];
  return effect !== undefined ? `Effects/${effect}/${safe}` : 'TTPs';
}

/** ATT&CK tactics as TTPs types; exposure detections are network reachability problems too. */
export function typesFor(detection: Detection): string[] {
  const types = detection.mitre.map(typeFor);
  if (detection.pack === 'exposure') {
    types.push(
      'Software and Configuration Checks/AWS Security Best Practices/Network Reachability',
    );
  }
  return [...new Set(types)].slice(0, ASFF_LIMITS.types);
}

const LABEL: Readonly<Record<Alert['severity'], AsffSeverityLabel>> = {
  low: 'LOW',
  medium: 'MEDIUM',
  high: 'HIGH',
  critical: 'CRITICAL',
};

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
/** Resource identifiers as the services allow them; anything else is not put in an ARN. */
const RESOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;
const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,17}$/;
const IAM_ARN = /^arn:aws(-cn|-us-gov)?:iam::\d{12}:(user|role)\/[\w+=,.@/-]{1,512}$/;

interface ResourceShape {
  readonly type: string;
  /** The ARN's service and the resource part before the name (`db:`, `security-group/`). */
  readonly service: 'ec2' | 'rds' | 'elasticache' | 'redshift';
  readonly prefix: string;
  readonly valid: RegExp;
}

/** The alert resource types the catalog uses, as ASFF types and ARNs. */
const RESOURCE_SHAPES: Readonly<Record<string, ResourceShape>> = {
  'EC2 security group': {
    type: 'AwsEc2SecurityGroup',
    service: 'ec2',
    prefix: 'security-group/',
    valid: SECURITY_GROUP_ID,
  },
  'RDS DB instance': {
    type: 'AwsRdsDbInstance',
    service: 'rds',
    prefix: 'db:',
    valid: RESOURCE_NAME,
  },
  'RDS DB cluster': {
    type: 'AwsRdsDbCluster',
    service: 'rds',
    prefix: 'cluster:',
    valid: RESOURCE_NAME,
  },
  'RDS DB snapshot': {
    type: 'AwsRdsDbSnapshot',
    service: 'rds',
    prefix: 'snapshot:',
    valid: RESOURCE_NAME,
  },
  'RDS DB cluster snapshot': {
    type: 'AwsRdsDbClusterSnapshot',
    service: 'rds',
    prefix: 'cluster-snapshot:',
    valid: RESOURCE_NAME,
  },
  'Redshift cluster': {
    type: 'AwsRedshiftCluster',
    service: 'redshift',
    prefix: 'cluster:',
    valid: RESOURCE_NAME,
  },
  'RDS DB security group': {
    type: 'AwsRdsDbSecurityGroup',
    service: 'rds',
    prefix: 'secgrp:',
    valid: RESOURCE_NAME,
  },
  // The ASFF has no ElastiCache resource types: `Other`, with the resource's ARN.
  'ElastiCache cluster': {
    type: 'Other',
    service: 'elasticache',
    prefix: 'cluster:',
    valid: RESOURCE_NAME,
  },
  'ElastiCache replication group': {
    type: 'Other',
    service: 'elasticache',
    prefix: 'replicationgroup:',
    valid: RESOURCE_NAME,
  },
  'ElastiCache cache security group': {
    type: 'Other',
    service: 'elasticache',
    prefix: 'securitygroup:',
    valid: RESOURCE_NAME,
  },
};

function other(fields: Record<string, string | undefined>): AsffResource['Details'] {
  const entries = Object.entries(fields)
    .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '')
    .map(([key, value]) => [key, text(value, ASFF_LIMITS.otherDetailValue)]);
  return { Other: Object.fromEntries(entries) as Record<string, string> };
}

function targetResource(alert: Alert, partition: AsffPartition): AsffResource | undefined {
  const shape = RESOURCE_SHAPES[alert.resource.type];
  const name = alert.resource.name;
  if (
    shape === undefined ||
    !shape.valid.test(name) ||
    !ACCOUNT.test(alert.account) ||
    !REGION.test(alert.region)
  ) {
    return undefined;
  }
  return {
    Type: shape.type,
    Id: `arn:${partition}:${shape.service}:${alert.region}:${alert.account}:${shape.prefix}${name}`,
    Partition: partition,
    Region: alert.region,
    ResourceRole: 'Target',
    Details: other({ resourceType: alert.resource.type, name }),
  };
}

function callerResource(alert: Alert, partition: AsffPartition): AsffResource | undefined {
  const actor = alert.actor;
  const caller = (type: string, id: string, details: Record<string, string | undefined>) => ({
    Type: type,
    Id: id,
    Partition: partition,
    ResourceRole: 'Actor' as const,
    Details: other(details),
  });
  if (actor.kind === 'assumed-role' && actor.roleArn !== undefined && IAM_ARN.test(actor.roleArn)) {
    return caller('AwsIamRole', actor.roleArn, {
      sessionName: actor.sessionName,
      principalArn: actor.principalArn,
    });
  }
  if (actor.kind === 'iam-user' && IAM_ARN.test(actor.principalArn)) {
    return caller('AwsIamUser', actor.principalArn, {
      userName: actor.userName,
      accessKeyId: actor.accessKeyId,
    });
  }
  return undefined;
}

function accountResource(alert: Alert, partition: AsffPartition): AsffResource | undefined {
  if (!ACCOUNT.test(alert.account)) return undefined;
  return {
    Type: 'AwsAccount',
    Id: `AWS::::Account:${alert.account}`,
    Partition: partition,
    ...(REGION.test(alert.region) ? { Region: alert.region } : {}),
    ResourceRole: 'Target',
  };
}

/**
 * The resources a finding names: what the call changed, the IAM identity that made it, and
 * the account it was made in. A record too malformed for any of them (no valid account)
 * still yields one resource, the caller's principal as `Other`, since the ASFF requires one.
 */
export function resourcesFor(alert: Alert, partition: AsffPartition): AsffResource[] {
  const resources = [
    targetResource(alert, partition),
    callerResource(alert, partition),
    accountResource(alert, partition),
  ].filter((resource): resource is AsffResource => resource !== undefined);
  if (resources.length === 0) {
    resources.push({
      Type: 'Other',
      Id: text(alert.principal, ASFF_LIMITS.id, 'unknown'),
      ResourceRole: 'Actor',
      Details: other({ eventSource: alert.eventSource, eventName: alert.eventName }),
    });
  }
  return resources.slice(0, ASFF_LIMITS.resourcesMax);
}

function productFields(alert: Alert): Record<string, string> {
  const burst = alert.burst;
  const fields: Record<string, string | undefined> = {
    'sgwatch/alertId': alert.alertId,
    'sgwatch/ruleId': alert.ruleId,
    'sgwatch/riskScore': String(alert.riskScore),
    'sgwatch/severity': alert.severity,
    'sgwatch/eventId': alert.eventId,
    'sgwatch/eventName': alert.eventName,
    'sgwatch/eventAccount': alert.account,
    'sgwatch/eventRegion': alert.region,
    'sgwatch/principal': alert.principal,
    'sgwatch/sourceIp': alert.sourceIp,
    ...(burst !== undefined
      ? {
          'sgwatch/burst/kind': burst.kind,
          'sgwatch/burst/groupId': burst.groupId,
          'sgwatch/burst/threadId': burst.threadId,
          'sgwatch/burst/count': String(burst.sequence),
          'sgwatch/burst/lastSeen': alert.eventTime,
          'sgwatch/burst/windowMinutes': String(burst.windowMinutes),
        }
      : {}),
    ...(alert.suppression !== undefined
      ? { 'sgwatch/exceptionId': alert.suppression.exceptionId }
      : {}),
  };
  return Object.fromEntries(
    Object.entries(fields)
      .filter((entry): entry is [string, string] => entry[1] !== undefined)
      .slice(0, ASFF_LIMITS.productFieldPairs)
      .map(([key, value]) => [key, text(value, ASFF_LIMITS.productFieldValue)]),
  );
}

function titleFor(alert: Alert): string {
  const name = cleanText(alert.resource.name, 120);
  const count = alert.burst !== undefined && alert.burst.sequence > 1 ? alert.burst.sequence : 0;
  const base = name !== '' ? `${alert.ruleTitle}: ${name}` : alert.ruleTitle;
  return text(count > 0 ? `${base} (${count} alerts in this burst)` : base, ASFF_LIMITS.title);
}

function descriptionFor(alert: Alert, detection: Detection): string {
  const burst = alert.burst;
  const parts = [
    burst !== undefined && burst.sequence > 1
      ? `Latest of ${burst.sequence} alerts from this caller in ${burst.windowMinutes} minutes (last seen ${alert.eventTime}).`
      : '',
    `${cleanText(alert.principal, 300)} called ${cleanText(alert.eventName, 80)} in account ` +
      `${cleanText(alert.account, 20)} (${cleanText(alert.region, 20)}) at ${alert.eventTime}.`,
    ...(alert.findings ?? []).map((finding) => `${cleanText(finding, 300)}.`),
    detection.description,
  ];
  return text(parts.filter((part) => part !== '').join(' '), ASFF_LIMITS.description);
}

function noteFor(alert: Alert): AsffFinding['Note'] {
  const s = alert.suppression;
  if (s === undefined) return undefined;
  return {
    Text: text(
      `Suppressed by sgwatch exception ${s.exceptionId} (owner ${s.owner}, expires ${s.expires}): ${s.reason}`,
      ASFF_LIMITS.noteText,
    ),
    UpdatedBy: 'sgwatch',
    UpdatedAt: alert.detectedAt,
  };
}

/** The CloudTrail console link, when the alert has one (only for well-formed Regions). */
function sourceUrlFor(alert: Alert): string | undefined {
  const url = alert.links.cloudTrail;
  return url !== undefined && url.startsWith('https://') ? stripControl(url) : undefined;
}

/**
 * When a finding came to be: for a burst group's finding, the start of the group's window,
 * the same for every alert of the group, so `CreatedAt` never moves with an update; for an
 * alert of its own, when sgwatch decided it.
 */
export function findingCreatedAt(alert: Alert): string {
  const burst = alert.burst;
  if (burst === undefined) return alert.detectedAt;
  const startSeconds = windowStartOf(new Date(alert.eventTime), burst.windowMinutes);
  return Number.isFinite(startSeconds)
    ? new Date(startSeconds * 1000).toISOString()
    : alert.detectedAt;
}

/**
 * The finding for one stored alert, as imported at `importedAt`. Security Hub ignores an
 * import whose `UpdatedAt` is not newer than the stored one, so `UpdatedAt` is the time of the
 * import (the caller keeps it increasing), never earlier than `CreatedAt`; a retried or
 * late import of the same alert is then applied, and repeats the same content.
 */
export function toFinding(
  alert: Alert,
  detection: Detection,
  product: FindingProduct,
  importedAt: Date,
): AsffFinding {
  const createdAt = findingCreatedAt(alert);
  const updatedAt = new Date(Math.max(importedAt.getTime(), Date.parse(createdAt))).toISOString();
  const types = typesFor(detection);
  const severity: AsffSeverity = {
    Label: LABEL[alert.severity],
    Normalized: Math.min(100, Math.max(0, Math.round(alert.riskScore))),
    Original: String(alert.riskScore),
  };
  const first = alert.burst === undefined || alert.burst.sequence <= 1;
  const note = noteFor(alert);
  const sourceUrl = sourceUrlFor(alert);
  const reference = detection.references.find((url) => url.startsWith('https://'));
  return {
    SchemaVersion: ASFF_SCHEMA_VERSION,
    Id: truncate(findingIdFor(alert), ASFF_LIMITS.id),
    ProductArn: product.productArn,
    ProductName: 'sgwatch',
    CompanyName: 'sgwatch',
    GeneratorId: text(detection.id, ASFF_LIMITS.generatorId),
    AwsAccountId: product.account,
    Types: types,
    // Only the group's first alert knows when the group was first seen.
    ...(first ? { FirstObservedAt: alert.eventTime } : {}),
    LastObservedAt: alert.eventTime,
    CreatedAt: createdAt,
    UpdatedAt: updatedAt,
    Severity: severity,
    Title: titleFor(alert),
    Description: descriptionFor(alert, detection),
    Remediation: {
      Recommendation: {
        Text: text(detection.response.join(' '), ASFF_LIMITS.recommendationText),
        ...(reference !== undefined ? { Url: reference } : {}),
      },
    },
    ...(sourceUrl !== undefined ? { SourceUrl: sourceUrl } : {}),
    ProductFields: productFields(alert),
    Resources: resourcesFor(alert, product.partition),
    FindingProviderFields: {
      Severity: { Label: severity.Label, Original: String(alert.riskScore) },
      Types: types,
    },
    Workflow: { Status: alert.delivery === 'suppressed' ? 'SUPPRESSED' : 'NEW' },
    RecordState: 'ACTIVE',
    ...(note !== undefined ? { Note: note } : {}),
  };
}

/**
 * True for a later alert of a burst group that sgwatch sent (not suppressed, not capped):
 * activity after the group's finding was created, which an analyst may already have
 * resolved or suppressed.
 */
export function isNewActivity(alert: Alert): boolean {
  const burst = alert.burst;
  return (
    burst !== undefined &&
    burst.sequence > 1 &&
    burst.kind !== 'capped' &&
    alert.delivery !== 'suppressed'
  );
}

/** The note that goes with a group's finding moved back to NEW by new activity. */
export function reopenNote(alert: Alert): string {
  return text(
    `New activity: alert ${alert.alertId} (${alert.burst?.sequence ?? 1} in this burst) at ${alert.eventTime}; set back to NEW by sgwatch`,
    ASFF_LIMITS.noteText,
  );
}
