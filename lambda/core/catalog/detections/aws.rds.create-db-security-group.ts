import type { Detection } from '../detection';
import { CLOUD_ACCOUNT, CREATE_ACCOUNT, PERSISTENCE } from '../mitre';

export const RDS_CREATE_DB_SECURITY_GROUP = {
  source: 'aws.rds',
  eventSource: 'rds.amazonaws.com',
  eventName: 'CreateDBSecurityGroup',
  resource: {
    type: 'RDS DB security group',
    nameParameter: 'dBSecurityGroupName',
    descriptionParameter: 'dBSecurityGroupDescription',
    consolePath: 'rds/home',
  },
} as const;

export const rdsSecurityGroupCreated: Detection = {
  id: 'aws.rds.create-db-security-group',
  pack: 'seed',
  title: 'RDS DB security group created',
  shortTitle: 'RDS DB security group created',
  description:
    'A DB security group was created in Amazon RDS. DB security groups belong to EC2-Classic, ' +
    'which AWS retired in 2023, so a successful call today is unusual: it may be legacy ' +
    'automation, or someone opening a path to a database that sits outside the usual VPC controls.',
  severity: 'low',
  riskScore: 21,
  mitre: [{ tactic: PERSISTENCE, technique: CREATE_ACCOUNT, subtechnique: CLOUD_ACCOUNT }],
  calls: [RDS_CREATE_DB_SECURITY_GROUP],
  outcome: 'success',
  elastic: {
    ruleId: '378f9024-8a0c-46a5-aa08-ce147ac73a4e',
    name: 'AWS RDS Security Group Creation',
  },
  investigation: [
    'Identify the caller: the principal ARN, and for an assumed role the role it came from and the session name. Is this a person or automation, and do they normally touch RDS?',
    'Check where the call came from: the source IP and user agent. A console or CLI session from an unfamiliar network deserves more attention than a known pipeline.',
    'Read the group name and description from the request, then list its ingress rules (aws rds describe-db-security-groups) to see which CIDR ranges or EC2 groups it admits.',
    'Look for follow-up calls by the same principal within the hour: AuthorizeDBSecurityGroupIngress, ModifyDBInstance, CreateDBInstance or snapshot sharing.',
    'Review what else the principal did recently in CloudTrail: new access keys, policy changes, console logins from new places.',
  ],
  falsePositives: [
    'Long-lived automation or old templates that still manage EC2-Classic resources.',
    'Infrastructure-as-code runs (CloudFormation, Terraform, CDK) by a known deployment role.',
    'Sandbox or test accounts where engineers try legacy APIs; scope these out with an exception rather than ignoring the rule.',
  ],
  response: [
    'If nobody can vouch for the change, delete the DB security group and revoke any ingress it granted.',
    'Disable or rotate the credentials used, and review the principal’s permissions for least privilege.',
    'Search for other changes the principal made around the same time and undo any that are unexplained.',
    'Restrict rds:CreateDBSecurityGroup with an SCP or IAM policy, since no current workload should need it.',
  ],
  references: [
    'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSecurityGroup.html',
    'https://aws.amazon.com/blogs/aws/ec2-classic-is-retiring-heres-how-to-prepare/',
  ],
};
