/**
 * Redshift clusters and Redshift Serverless workgroups made publicly accessible. As with RDS, a
 * create or restore that does not set `publiclyAccessible` gets a default the response
 * records, so a silent request defers to the response; a modify or update call's response may
 * show the old state, so only an explicit request counts there. The provisioned API logs the
 * cluster's fields at the top of the response (older records nest them under `cluster`); the
 * Serverless API nests them under `workgroup`. Both shapes are read, and each has its own
 * pattern branch.
 */
import type { CloudTrailRecord } from '../../cloudtrail';
import { cleanText } from '../../text';
import type { Detection, EventPatternJson, WatchedCall } from '../detection';
import { DEFENSE_EVASION, DISABLE_CLOUD_FIREWALL, IMPAIR_DEFENSES } from '../mitre';
import { ownField, requestString } from '../request';

interface PublicCall {
  readonly call: WatchedCall;
  /** The response key that nests the resource, beside the flat shape. */
  readonly nestedResponseKey: string;
  /** Whether a silent request defers to the response. */
  readonly creates: boolean;
  readonly label: string;
}

const REQUESTED: EventPatternJson = { requestParameters: { publiclyAccessible: [true] } };

function createFilter(nestedResponseKey: string): EventPatternJson {
  const silent = { publiclyAccessible: [{ exists: false }] };
  return {
    $or: [
      REQUESTED,
      { requestParameters: silent, responseElements: { publiclyAccessible: [true] } },
      {
        requestParameters: silent,
        responseElements: { [nestedResponseKey]: { publiclyAccessible: [true] } },
      },
    ],
  };
}

function redshiftCall(eventName: string, creates: boolean): PublicCall {
  return {
    call: {
      source: 'aws.redshift',
      eventSource: 'redshift.amazonaws.com',
      eventName,
      resource: {
        type: 'Redshift cluster',
        nameParameter: 'clusterIdentifier',
        consolePath: 'redshiftv2/home',
      },
      detailFilter: creates ? createFilter('cluster') : REQUESTED,
    },
    nestedResponseKey: 'cluster',
    creates,
    label: 'Redshift cluster',
  };
}

function serverlessCall(eventName: string, creates: boolean): PublicCall {
  return {
    call: {
      source: 'aws.redshift-serverless',
      eventSource: 'redshift-serverless.amazonaws.com',
      eventName,
      resource: {
        type: 'Redshift Serverless workgroup',
        nameParameter: 'workgroupName',
        consolePath: 'redshiftv2/home',
      },
      detailFilter: creates ? createFilter('workgroup') : REQUESTED,
    },
    nestedResponseKey: 'workgroup',
    creates,
    label: 'Redshift Serverless workgroup',
  };
}

const PUBLIC_CALLS: readonly PublicCall[] = [
  redshiftCall('CreateCluster', true),
  redshiftCall('ModifyCluster', false),
  redshiftCall('RestoreFromClusterSnapshot', true),
  serverlessCall('CreateWorkgroup', true),
  serverlessCall('UpdateWorkgroup', false),
];

function publicCallOf(record: CloudTrailRecord): PublicCall | undefined {
  return PUBLIC_CALLS.find(
    ({ call }) => call.eventSource === record.eventSource && call.eventName === record.eventName,
  );
}

/**
 * Why the call leaves the cluster or workgroup publicly accessible, or undefined. Only the JSON
 * boolean counts, as CloudTrail logs it and as the patterns' `[true]` reads it.
 */
export function redshiftPublicBy(record: CloudTrailRecord): 'request' | 'default' | undefined {
  const publicCall = publicCallOf(record);
  if (publicCall === undefined) return undefined;
  const requested = ownField(record.requestParameters, 'publiclyAccessible');
  if (requested !== undefined) return requested === true ? 'request' : undefined;
  if (!publicCall.creates) return undefined;
  const response = record.responseElements;
  const shown =
    ownField(response, 'publiclyAccessible') === true ||
    ownField(ownField(response, publicCall.nestedResponseKey), 'publiclyAccessible') === true;
  return shown ? 'default' : undefined;
}

function findings(record: CloudTrailRecord): string[] {
  const publicCall = publicCallOf(record);
  const by = redshiftPublicBy(record);
  if (publicCall === undefined || by === undefined) return [];
  const name = requestString(record.requestParameters, publicCall.call.resource.nameParameter);
  const what = `${publicCall.label} ${name !== undefined ? cleanText(name, 100) : '(identifier not in the request)'}`;
  return [
    by === 'request'
      ? `${what} set publicly accessible (publiclyAccessible: true in the request)`
      : `${what} created publicly accessible by default: the request did not set publiclyAccessible and the response shows true`,
  ];
}

export const redshiftMadePublic: Detection = {
  id: 'aws.redshift.made-public',
  pack: 'exposure',
  title: 'Redshift warehouse made publicly accessible',
  shortTitle: 'Redshift made public',
  description:
    'A Redshift cluster or Redshift Serverless workgroup was created, restored or changed so ' +
    'that it is publicly accessible: its endpoint gets a public IP address, and only its ' +
    'security groups stand between the warehouse, usually the largest copy of a company’s ' +
    'data, and the internet.',
  severity: 'medium',
  riskScore: 47,
  mitre: [
    { tactic: DEFENSE_EVASION, technique: IMPAIR_DEFENSES, subtechnique: DISABLE_CLOUD_FIREWALL },
  ],
  calls: PUBLIC_CALLS.map(({ call }) => call),
  outcome: 'success',
  requestMatches: (record) => redshiftPublicBy(record) !== undefined,
  findings,
  investigation: [
    'Identify the cluster or workgroup from the findings and check its VPC security groups for rules open to 0.0.0.0/0 or ::/0 on its port (5439 by default).',
    'Ask the caller or the pipeline owner why the warehouse needs a public endpoint; BI tools and partners can usually reach it through a VPC endpoint or a fixed address range instead.',
    'For a restore, find the snapshot it came from (and whose account shared it) and what data it holds.',
    'Review the warehouse’s connection and user activity logs for logins from outside your networks since the change.',
  ],
  falsePositives: [
    'BI or SaaS tools that connect over the internet from published address ranges; record an exception naming the workgroup or cluster and keep the security group narrow.',
    'Short-lived test warehouses loaded with sample data.',
  ],
  response: [
    'Turn public access off (aws redshift modify-cluster --no-publicly-accessible, or aws redshift-serverless update-workgroup --no-publicly-accessible) unless the owner confirms it.',
    'Make sure no security group on the warehouse admits internet-wide ranges.',
    'If it was reachable, rotate the admin and database user passwords and review the logs.',
    'Keep it from recurring: the AWS Config rule redshift-cluster-public-access-check and fewer principals allowed to change Redshift network settings.',
  ],
  references: [
    'https://docs.aws.amazon.com/redshift/latest/APIReference/API_ModifyCluster.html',
    'https://docs.aws.amazon.com/redshift-serverless/latest/APIReference/API_UpdateWorkgroup.html',
    'https://docs.aws.amazon.com/redshift/latest/mgmt/managing-clusters-vpc.html',
  ],
};
