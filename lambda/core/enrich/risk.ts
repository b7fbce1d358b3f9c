/**
 * Risk scoring: a detection's base score (21 for both seed rules) adjusted by what the
 * enrichment learned about the call, clamped to 0..100 and mapped to a severity band.
 *
 * The rules and the severity bands are exported as data so the README, the alert text and
 * the tests all read the same table. Every adjustment that applies is reported as a factor,
 * so an analyst can see why an alert scored what it did.
 */
import type { RiskFactor, Severity } from '../model';
import type { IdentitySummary } from './identity';
import type { UserAgentInfo } from './user-agent';

// One severity scale for the catalog and for scored alerts.
export type { Severity };

/**
 * The environment named in the account directory. The usual names are listed for editors;
 * any other string is allowed (the intersection keeps the literals from collapsing into string).
 */
export type AccountEnvironment =
  'prod' | 'staging' | 'dev' | 'sandbox' | (string & Record<never, never>);

export interface RiskInput {
  /** The detection's own risk score, an integer from 0 to 100. */
  readonly baseScore: number;
  readonly identity: IdentitySummary;
  readonly userAgent: UserAgentInfo;
  /** The account's environment from the account directory, when known. */
  readonly environment?: AccountEnvironment;
  /** True when the caller is a role the operator registered as an IaC pipeline role. */
  readonly iacRole?: boolean;
}

export type { RiskFactor } from '../model';

export interface RiskAssessment {
  readonly score: number;
  readonly severity: Severity;
  readonly factors: readonly RiskFactor[];
}

export interface RiskRule {
  readonly id: string;
  readonly delta: number;
  /** One line for the README table. */
  readonly description: string;
  readonly applies: (input: RiskInput) => boolean;
  /** The reason given on an alert, which may name details of this call. */
  readonly reason: (input: RiskInput) => string;
}

/** Environment names that count as production (compared lower-cased and trimmed). */
export const PRODUCTION_ENVIRONMENTS: readonly string[] = ['prod', 'production'];

const IAC_USER_AGENT_KINDS: ReadonlySet<UserAgentInfo['kind']> = new Set([
  'terraform',
  'cloudformation',
  'cdk',
  'pulumi',
]);

/**
 * MFA=false only means something for a person. Role sessions assumed by code (or through an
 * identity provider that did the MFA itself) report "false" routinely, so for assumed roles we
 * only count console sessions, where a person signed in.
 */
function isHumanWithoutMfa({ identity, userAgent }: RiskInput): boolean {
  if (identity.mfa !== false) return false;
  switch (identity.kind) {
    case 'iam-user':
    case 'federated-user':
      return true;
    case 'assumed-role':
      return userAgent.kind === 'console';
    default:
      return false;
  }
}

function isProduction(environment: string | undefined): boolean {
  return (
    typeof environment === 'string' &&
    PRODUCTION_ENVIRONMENTS.includes(environment.trim().toLowerCase())
  );
}

function isIacPipeline({ iacRole, userAgent }: RiskInput): boolean {
  return iacRole === true || IAC_USER_AGENT_KINDS.has(userAgent.kind);
}

/** Applied in this order; each one that applies adds its delta once. */
export const RISK_RULES: readonly RiskRule[] = [
  {
    id: 'root-caller',
    delta: 40,
    description: 'The call was made with the account root user.',
    applies: ({ identity }) => identity.kind === 'root',
    reason: () => 'the caller is the account root user',
  },
  {
    id: 'human-without-mfa',
    delta: 15,
    description:
      'A person (IAM user, federated user, or a role session in the console) made the call ' +
      'and CloudTrail says the session was not MFA-authenticated.',
    applies: isHumanWithoutMfa,
    reason: ({ identity }) => `the ${identity.kind} session was not MFA-authenticated`,
  },
  {
    id: 'offensive-tooling',
    delta: 40,
    description:
      'The user agent carries a marker of offensive tooling (Pacu, Stratus Red Team, Kali, ...).',
    applies: ({ userAgent }) => userAgent.kind === 'offensive',
    reason: ({ userAgent }) =>
      `the user agent points to offensive tooling (${userAgent.tool ?? userAgent.label})`,
  },
  {
    id: 'production-account',
    delta: 15,
    description: `The account is listed with environment ${PRODUCTION_ENVIRONMENTS.map((e) => `"${e}"`).join(' or ')}.`,
    applies: ({ environment }) => isProduction(environment),
    reason: () => 'the account is a production account',
  },
  {
    id: 'iac-pipeline',
    delta: -15,
    description:
      'The caller is a registered IaC pipeline role, or the user agent is Terraform, ' +
      'CloudFormation, the CDK or Pulumi.',
    applies: isIacPipeline,
    reason: ({ iacRole, userAgent }) =>
      iacRole === true
        ? 'the caller is a known infrastructure-as-code pipeline role'
        : `the call came from infrastructure as code (${userAgent.label})`,
  },
];

export interface SeverityBand {
  readonly severity: Severity;
  readonly minScore: number;
  readonly maxScore: number;
}

/**
 * Elastic's convention for mapping a 0-100 risk score to severity: 0-21 low, 22-47 medium,
 * 48-73 high, 74-100 critical. The seed rules' 21 sits at the top of "low", so any single
 * aggravating factor moves an alert up a band.
 */
export const SEVERITY_BANDS: readonly SeverityBand[] = [
  { severity: 'low', minScore: 0, maxScore: 21 },
  { severity: 'medium', minScore: 22, maxScore: 47 },
  { severity: 'high', minScore: 48, maxScore: 73 },
  { severity: 'critical', minScore: 74, maxScore: 100 },
];

export const MIN_RISK_SCORE = 0;
export const MAX_RISK_SCORE = 100;

function checkScore(score: number, name: string): void {
  if (!Number.isInteger(score) || score < MIN_RISK_SCORE || score > MAX_RISK_SCORE) {
    throw new RangeError(
      `${name} must be an integer from ${MIN_RISK_SCORE} to ${MAX_RISK_SCORE}, got ${String(score)}`,
    );
  }
}

export function severityForScore(score: number): Severity {
  checkScore(score, 'score');
  const band = SEVERITY_BANDS.find((b) => score >= b.minScore && score <= b.maxScore);
  if (band === undefined) {
    throw new RangeError(`no severity band covers score ${score}`);
  }
  return band.severity;
}

export function scoreRisk(input: RiskInput): RiskAssessment {
  checkScore(input.baseScore, 'baseScore');
  const factors: RiskFactor[] = RISK_RULES.filter((rule) => rule.applies(input)).map((rule) => ({
    id: rule.id,
    delta: rule.delta,
    reason: rule.reason(input),
  }));
  const raw = factors.reduce((sum, factor) => sum + factor.delta, input.baseScore);
  const score = Math.min(MAX_RISK_SCORE, Math.max(MIN_RISK_SCORE, raw));
  return { score, severity: severityForScore(score), factors };
}
