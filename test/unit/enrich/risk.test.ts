import type { UserIdentity } from '../../../lambda/core/cloudtrail';
import { summarizeIdentity } from '../../../lambda/core/enrich/identity';
import type { IdentitySummary } from '../../../lambda/core/enrich/identity';
import {
  MAX_RISK_SCORE,
  MIN_RISK_SCORE,
  RISK_RULES,
  scoreRisk,
  SEVERITY_BANDS,
  severityForScore,
} from '../../../lambda/core/enrich/risk';
import type { RiskInput, Severity } from '../../../lambda/core/enrich/risk';
import { classifyUserAgent } from '../../../lambda/core/enrich/user-agent';

// The seed rules' base risk score (see SEED_RULES.md).
const BASE = 21;

function identityOf(userIdentity: UserIdentity): IdentitySummary {
  return summarizeIdentity(userIdentity);
}

const ROOT = identityOf({
  type: 'Root',
  principalId: '111122223333',
  arn: 'arn:aws:iam::111122223333:root',
  accountId: '111122223333',
  sessionContext: {
    attributes: { creationDate: '2026-03-02T09:00:00Z', mfaAuthenticated: 'true' },
  },
});

const ROOT_NO_MFA = identityOf({
  type: 'Root',
  principalId: '111122223333',
  arn: 'arn:aws:iam::111122223333:root',
  accountId: '111122223333',
  sessionContext: {
    attributes: { creationDate: '2026-03-02T09:00:00Z', mfaAuthenticated: 'false' },
  },
});

const USER_NO_MFA = identityOf({
  type: 'IAMUser',
  principalId: 'AIDAEXAMPLEUSER00001',
  arn: 'arn:aws:iam::111122223333:user/mary',
  accountId: '111122223333',
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  userName: 'mary',
  sessionContext: {
    attributes: { creationDate: '2026-03-02T09:00:00Z', mfaAuthenticated: 'false' },
  },
});

const USER_WITH_MFA = identityOf({
  type: 'IAMUser',
  principalId: 'AIDAEXAMPLEUSER00001',
  arn: 'arn:aws:iam::111122223333:user/mary',
  accountId: '111122223333',
  userName: 'mary',
  sessionContext: {
    attributes: { creationDate: '2026-03-02T09:00:00Z', mfaAuthenticated: 'true' },
  },
});

// Long-lived access keys carry no session context, so CloudTrail does not say either way.
const USER_MFA_UNSTATED = identityOf({
  type: 'IAMUser',
  principalId: 'AIDAEXAMPLEUSER00001',
  arn: 'arn:aws:iam::111122223333:user/ci-bot',
  accountId: '111122223333',
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  userName: 'ci-bot',
});

const ROLE_NO_MFA = identityOf({
  type: 'AssumedRole',
  principalId: 'AROAEXAMPLEROLE00001:mary@example.com',
  arn: 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/mary@example.com',
  accountId: '111122223333',
  accessKeyId: 'ASIAEXAMPLEKEY000001',
  sessionContext: {
    sessionIssuer: {
      type: 'Role',
      principalId: 'AROAEXAMPLEROLE00001',
      arn: 'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef',
      accountId: '111122223333',
      userName: 'AWSReservedSSO_Admin_0123456789abcdef',
    },
    attributes: { creationDate: '2026-03-02T09:00:00Z', mfaAuthenticated: 'false' },
  },
});

const PIPELINE_ROLE = identityOf({
  type: 'AssumedRole',
  principalId: 'AROAEXAMPLEROLE00002:gha-run-77',
  arn: 'arn:aws:sts::111122223333:assumed-role/deploy-pipeline/gha-run-77',
  accountId: '111122223333',
  sessionContext: {
    sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/deploy-pipeline' },
    attributes: { creationDate: '2026-03-02T09:00:00Z', mfaAuthenticated: 'false' },
  },
});

const FEDERATED_NO_MFA = identityOf({
  type: 'FederatedUser',
  principalId: '111122223333:bob',
  arn: 'arn:aws:sts::111122223333:federated-user/bob',
  accountId: '111122223333',
  sessionContext: {
    sessionIssuer: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/broker' },
    attributes: { creationDate: '2026-03-02T09:00:00Z', mfaAuthenticated: 'false' },
  },
});

const CONSOLE = classifyUserAgent('signin.amazonaws.com');
const CLI = classifyUserAgent(
  'aws-cli/2.22.31 md/awscrt#0.23.4 ua/2.0 os/linux#6.8.0-51-generic md/arch#x86_64 lang/python#3.12.6 md/command#rds.create-db-security-group',
);
const KALI_CLI = classifyUserAgent(
  'aws-cli/2.36.17 md/awscrt#0.36.0 ua/2.1 os/linux#6.19.14+kali-amd64 lang/python#3.14.6 md/distrib#kali.2026',
);
const TERRAFORM = classifyUserAgent(
  'APN/1.0 HashiCorp/1.0 Terraform/1.7.0 (+https://www.terraform.io) terraform-provider-aws/5.32.1 aws-sdk-go-v2/1.24.1 os/linux lang/go#1.20.12',
);
const CLOUDFORMATION = classifyUserAgent(
  'cloudformation.amazonaws.com',
  'cloudformation.amazonaws.com',
);
const CDK = classifyUserAgent('aws-sdk-nodejs/2.1586.0 linux/v20.15.1 aws-cdk/2.135.0 promise');
const PULUMI = classifyUserAgent('APN/1.0 Pulumi/1.0 Pulumi-Aws/6.37.1 aws-sdk-go-v2/1.26.1');
const STRATUS = classifyUserAgent(
  'APN/1.0 HashiCorp/1.0 Terraform/1.1.2 terraform-provider-aws/3.76.1 aws-sdk-go/1.44.157 (go1.19.3; darwin; arm64) stratus-red-team_83c9a458-ffab-4d43-8b02-9691311e8c0a',
);

interface Scenario {
  readonly name: string;
  readonly input: RiskInput;
  readonly score: number;
  readonly severity: Severity;
  readonly factorIds: readonly string[];
}

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'an IAM user with MFA using the CLI in a dev account keeps the base score',
    input: { baseScore: BASE, identity: USER_WITH_MFA, userAgent: CLI, environment: 'dev' },
    score: 21,
    severity: 'low',
    factorIds: [],
  },
  {
    name: 'an access key whose MFA state CloudTrail does not record is not penalised for MFA',
    input: { baseScore: BASE, identity: USER_MFA_UNSTATED, userAgent: CLI },
    score: 21,
    severity: 'low',
    factorIds: [],
  },
  {
    name: 'the root user adds 40',
    input: { baseScore: BASE, identity: ROOT, userAgent: CONSOLE },
    score: 61,
    severity: 'high',
    factorIds: ['root-caller'],
  },
  {
    name: 'the root user in production is critical',
    input: { baseScore: BASE, identity: ROOT, userAgent: CONSOLE, environment: 'prod' },
    score: 76,
    severity: 'critical',
    factorIds: ['root-caller', 'production-account'],
  },
  {
    name: 'the root user without MFA counts once, as root',
    input: { baseScore: BASE, identity: ROOT_NO_MFA, userAgent: CONSOLE },
    score: 61,
    severity: 'high',
    factorIds: ['root-caller'],
  },
  {
    name: 'an IAM user without MFA adds 15',
    input: { baseScore: BASE, identity: USER_NO_MFA, userAgent: CLI },
    score: 36,
    severity: 'medium',
    factorIds: ['human-without-mfa'],
  },
  {
    name: 'a federated user without MFA adds 15',
    input: { baseScore: BASE, identity: FEDERATED_NO_MFA, userAgent: CLI },
    score: 36,
    severity: 'medium',
    factorIds: ['human-without-mfa'],
  },
  {
    name: 'a role session in the console without MFA adds 15',
    input: { baseScore: BASE, identity: ROLE_NO_MFA, userAgent: CONSOLE },
    score: 36,
    severity: 'medium',
    factorIds: ['human-without-mfa'],
  },
  {
    name: 'a role session from code without MFA is not treated as a person',
    input: { baseScore: BASE, identity: ROLE_NO_MFA, userAgent: CLI },
    score: 21,
    severity: 'low',
    factorIds: [],
  },
  {
    name: 'the AWS CLI on Kali adds 40',
    input: { baseScore: BASE, identity: USER_WITH_MFA, userAgent: KALI_CLI },
    score: 61,
    severity: 'high',
    factorIds: ['offensive-tooling'],
  },
  {
    name: 'an IAM user without MFA on Kali is critical',
    input: { baseScore: BASE, identity: USER_NO_MFA, userAgent: KALI_CLI },
    score: 76,
    severity: 'critical',
    factorIds: ['human-without-mfa', 'offensive-tooling'],
  },
  {
    name: 'a production account adds 15',
    input: { baseScore: BASE, identity: USER_WITH_MFA, userAgent: CLI, environment: 'prod' },
    score: 36,
    severity: 'medium',
    factorIds: ['production-account'],
  },
  {
    name: 'the environment "Production" counts as production',
    input: {
      baseScore: BASE,
      identity: USER_WITH_MFA,
      userAgent: CLI,
      environment: ' Production ',
    },
    score: 36,
    severity: 'medium',
    factorIds: ['production-account'],
  },
  {
    name: 'a staging account is not production',
    input: { baseScore: BASE, identity: USER_WITH_MFA, userAgent: CLI, environment: 'staging' },
    score: 21,
    severity: 'low',
    factorIds: [],
  },
  {
    name: 'an environment that only contains "prod" is not production',
    input: { baseScore: BASE, identity: USER_WITH_MFA, userAgent: CLI, environment: 'preprod' },
    score: 21,
    severity: 'low',
    factorIds: [],
  },
  {
    name: 'Terraform in production cancels the production increase',
    input: { baseScore: BASE, identity: PIPELINE_ROLE, userAgent: TERRAFORM, environment: 'prod' },
    score: 21,
    severity: 'low',
    factorIds: ['production-account', 'iac-pipeline'],
  },
  {
    name: 'CloudFormation lowers the score by 15',
    input: { baseScore: BASE, identity: PIPELINE_ROLE, userAgent: CLOUDFORMATION },
    score: 6,
    severity: 'low',
    factorIds: ['iac-pipeline'],
  },
  {
    name: 'the CDK lowers the score by 15',
    input: { baseScore: BASE, identity: PIPELINE_ROLE, userAgent: CDK },
    score: 6,
    severity: 'low',
    factorIds: ['iac-pipeline'],
  },
  {
    name: 'Pulumi lowers the score by 15',
    input: { baseScore: BASE, identity: PIPELINE_ROLE, userAgent: PULUMI },
    score: 6,
    severity: 'low',
    factorIds: ['iac-pipeline'],
  },
  {
    name: 'a registered pipeline role lowers the score even when it uses the CLI',
    input: { baseScore: BASE, identity: PIPELINE_ROLE, userAgent: CLI, iacRole: true },
    score: 6,
    severity: 'low',
    factorIds: ['iac-pipeline'],
  },
  {
    name: 'Stratus Red Team riding on Terraform gets no IaC discount',
    input: { baseScore: BASE, identity: PIPELINE_ROLE, userAgent: STRATUS },
    score: 61,
    severity: 'high',
    factorIds: ['offensive-tooling'],
  },
  {
    name: 'every aggravating factor at once is clamped to 100',
    input: { baseScore: BASE, identity: ROOT, userAgent: KALI_CLI, environment: 'prod' },
    score: 100,
    severity: 'critical',
    factorIds: ['root-caller', 'offensive-tooling', 'production-account'],
  },
  {
    name: 'a discount below zero is clamped to 0',
    input: { baseScore: 5, identity: PIPELINE_ROLE, userAgent: TERRAFORM, iacRole: true },
    score: 0,
    severity: 'low',
    factorIds: ['iac-pipeline'],
  },
  {
    name: 'a higher base score moves through the bands the same way',
    input: { baseScore: 47, identity: USER_NO_MFA, userAgent: CLI },
    score: 62,
    severity: 'high',
    factorIds: ['human-without-mfa'],
  },
];

describe('scoreRisk', () => {
  it.each(SCENARIOS)('$name', ({ input, score, severity, factorIds }) => {
    const result = scoreRisk(input);
    expect(result.score).toBe(score);
    expect(result.severity).toBe(severity);
    expect(result.factors.map((factor) => factor.id)).toEqual(factorIds);
  });

  it.each(SCENARIOS.filter((s) => s.score > MIN_RISK_SCORE && s.score < MAX_RISK_SCORE))(
    'explains every point of the score when nothing is clamped: $name',
    ({ input, score }) => {
      const { factors } = scoreRisk(input);
      expect(input.baseScore + factors.reduce((sum, f) => sum + f.delta, 0)).toBe(score);
      for (const factor of factors) {
        expect(factor.reason.length).toBeGreaterThan(0);
      }
    },
  );

  it('names the offensive tool in the reason', () => {
    const { factors } = scoreRisk({
      baseScore: BASE,
      identity: USER_WITH_MFA,
      userAgent: KALI_CLI,
    });
    expect(factors).toEqual([
      {
        id: 'offensive-tooling',
        delta: 40,
        reason: 'the user agent points to offensive tooling (Kali Linux)',
      },
    ]);
  });

  it('names the IaC client in the reason', () => {
    const { factors } = scoreRisk({
      baseScore: BASE,
      identity: PIPELINE_ROLE,
      userAgent: TERRAFORM,
    });
    expect(factors).toEqual([
      {
        id: 'iac-pipeline',
        delta: -15,
        reason: 'the call came from infrastructure as code (Terraform 1.7.0)',
      },
    ]);
  });

  it('exercises every rule in at least one scenario', () => {
    const used = new Set(SCENARIOS.flatMap((s) => s.factorIds));
    expect(RISK_RULES.map((rule) => rule.id).filter((id) => !used.has(id))).toEqual([]);
  });

  it('documents each rule with the deltas the README promises', () => {
    expect(RISK_RULES.map(({ id, delta }) => ({ id, delta }))).toEqual([
      { id: 'root-caller', delta: 40 },
      { id: 'human-without-mfa', delta: 15 },
      { id: 'offensive-tooling', delta: 40 },
      { id: 'production-account', delta: 15 },
      { id: 'iac-pipeline', delta: -15 },
    ]);
    for (const rule of RISK_RULES) {
      expect(rule.description.length).toBeGreaterThan(0);
    }
  });

  it.each([
    { baseScore: Number.NaN },
    { baseScore: -1 },
    { baseScore: 101 },
    { baseScore: 21.5 },
    { baseScore: Number.POSITIVE_INFINITY },
  ])('throws a RangeError for base score $baseScore', ({ baseScore }) => {
    expect(() => scoreRisk({ baseScore, identity: USER_WITH_MFA, userAgent: CLI })).toThrow(
      RangeError,
    );
  });
});

describe('severityForScore', () => {
  it.each([
    { score: 0, severity: 'low' },
    { score: 21, severity: 'low' },
    { score: 22, severity: 'medium' },
    { score: 47, severity: 'medium' },
    { score: 48, severity: 'high' },
    { score: 73, severity: 'high' },
    { score: 74, severity: 'critical' },
    { score: 100, severity: 'critical' },
  ])('maps $score to $severity', ({ score, severity }) => {
    expect(severityForScore(score)).toBe(severity);
  });

  it.each([{ score: -1 }, { score: 101 }, { score: 50.5 }])(
    'throws a RangeError for score $score',
    ({ score }) => {
      expect(() => severityForScore(score)).toThrow(
        `score must be an integer from 0 to 100, got ${score}`,
      );
    },
  );

  it('covers 0 to 100 with contiguous bands in ascending order', () => {
    const first = SEVERITY_BANDS[0];
    const last = SEVERITY_BANDS[SEVERITY_BANDS.length - 1];
    expect(first?.minScore).toBe(MIN_RISK_SCORE);
    expect(last?.maxScore).toBe(MAX_RISK_SCORE);
    SEVERITY_BANDS.slice(1).forEach((band, index) => {
      expect(band.minScore).toBe((SEVERITY_BANDS[index]?.maxScore ?? Number.NaN) + 1);
    });
  });
});
