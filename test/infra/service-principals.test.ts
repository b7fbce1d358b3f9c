/**
 * Confused-deputy prevention: every grant to an AWS service principal, in every deployment
 * variant (scripts/synth-variants.ts, hub, Region spokes and the StackSet spoke template
 * alike), is held to this account by `aws:SourceAccount` or `aws:SourceArn`, or, for a KMS
 * key, by the encryption context the service documents. Grants CDK adds on its own are
 * walked the same way, so a new unconditioned grant fails here whoever wrote it.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { synthesizeVariants } from '../../scripts/synth-variants';
import { removeTemporaryDirs, temporaryDir } from '../support/synth';

afterAll(removeTemporaryDirs);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Condition keys that hold a service to a source in this account. */
const SOURCE_KEYS = ['aws:SourceAccount', 'aws:SourceArn'];
/** Key policies may instead require the encryption context the service documents. */
const ENCRYPTION_CONTEXT = /^kms:EncryptionContext:/;

/**
 * Role trusts that carry no source condition, on purpose; each reason is the decision.
 * - Lambda assumes an execution role only for a function it was passed to, and
 *   iam:PassRole never crosses accounts; AWS's execution role trust carries no condition.
 * - AWS Chatbot documents no source condition for channel roles, and this role has no
 *   permissions behind a deny-all guardrail.
 */
const UNCONDITIONED_TRUSTS: Readonly<Record<string, string>> = {
  'lambda.amazonaws.com': 'Lambda execution role: passed with iam:PassRole, never cross-account',
  'chatbot.amazonaws.com': 'Chatbot channel role: no permissions, deny-all guardrail',
};

interface Grant {
  readonly where: string;
  readonly kind: 'key policy' | 'role trust' | 'resource policy' | 'lambda permission';
  readonly service: string;
  readonly conditionKeys: readonly string[];
}

function services(principal: unknown): string[] {
  const service = (principal as Json | undefined)?.Service as unknown;
  if (service === undefined) return [];
  return (Array.isArray(service) ? service : [service]).map((s) =>
    typeof s === 'string' ? s : JSON.stringify(s),
  );
}

function conditionKeys(condition: Json | undefined): string[] {
  return Object.values(condition ?? {}).flatMap((byKey) => Object.keys(byKey as Json));
}

const POLICY_DOCUMENTS: Readonly<Record<string, readonly [Grant['kind'], string]>> = {
  'AWS::KMS::Key': ['key policy', 'KeyPolicy'],
  'AWS::IAM::Role': ['role trust', 'AssumeRolePolicyDocument'],
  'AWS::SNS::TopicPolicy': ['resource policy', 'PolicyDocument'],
  'AWS::SQS::QueuePolicy': ['resource policy', 'PolicyDocument'],
  'AWS::S3::BucketPolicy': ['resource policy', 'PolicyDocument'],
  'AWS::Events::EventBusPolicy': ['resource policy', 'Statement'],
};

/** Every Allow to a service principal in every synthesized template. */
function serviceGrants(templates: readonly string[]): Grant[] {
  const grants: Grant[] = [];
  for (const file of templates) {
    const template = JSON.parse(readFileSync(file, 'utf8')) as Json;
    const name = `${basename(dirname(file))}/${basename(file)}`;
    for (const [id, resource] of Object.entries<Json>(template.Resources ?? {})) {
      const where = `${name} ${id}`;
      if (resource.Type === 'AWS::Lambda::Permission') {
        const properties = resource.Properties as Json;
        if (
          typeof properties.Principal === 'string' &&
          properties.Principal.endsWith('.amazonaws.com')
        ) {
          grants.push({
            where,
            kind: 'lambda permission',
            service: properties.Principal,
            conditionKeys: [
              ...(properties.SourceArn !== undefined ? ['aws:SourceArn'] : []),
              ...(properties.SourceAccount !== undefined ? ['aws:SourceAccount'] : []),
            ],
          });
        }
        continue;
      }
      const document = POLICY_DOCUMENTS[resource.Type as string];
      if (document === undefined) continue;
      const [kind, property] = document;
      const value = (resource.Properties as Json)[property] as Json | Json[] | undefined;
      const statements = Array.isArray(value) ? value : ((value?.Statement ?? [value]) as Json[]);
      for (const statement of statements) {
        if (statement?.Effect !== 'Allow') continue;
        for (const service of services(statement.Principal)) {
          grants.push({ where, kind, service, conditionKeys: conditionKeys(statement.Condition) });
        }
      }
    }
  }
  return grants;
}

function heldToSource(grant: Grant): boolean {
  return grant.conditionKeys.some(
    (key) =>
      SOURCE_KEYS.includes(key) || (grant.kind === 'key policy' && ENCRYPTION_CONTEXT.test(key)),
  );
}

describe('grants to AWS service principals in every deployment variant', () => {
  let grants: Grant[];

  beforeAll(() => {
    grants = serviceGrants(synthesizeVariants(temporaryDir('sgwatch-variants-')));
  });

  it('finds the grants it checks, the StackSet spoke template included', () => {
    const found = (service: string, kind: Grant['kind'], where: RegExp) =>
      grants.some((g) => g.service === service && g.kind === kind && where.test(g.where));

    expect(found('cloudwatch.amazonaws.com', 'key policy', /MonitoringKey/)).toBe(true);
    expect(found('events.amazonaws.com', 'role trust', /SgwatchSpoke-.*ForwardingRole/)).toBe(true);
    expect(found('events.amazonaws.com', 'role trust', /StackSet.*ForwardingRole/)).toBe(true);
    expect(found('events.amazonaws.com', 'lambda permission', /Sgwatch\.template/)).toBe(true);
    expect(found('lambda.amazonaws.com', 'role trust', /DetectorRole/)).toBe(true);
  });

  it('holds every one to this account, but for the role trusts exempted on purpose', () => {
    const unconditioned = grants
      .filter((grant) => !heldToSource(grant))
      .filter((grant) => !(grant.kind === 'role trust' && grant.service in UNCONDITIONED_TRUSTS))
      .map((grant) => `${grant.where}: ${grant.kind} for ${grant.service}`);

    expect(unconditioned).toEqual([]);
  });

  it('keeps CloudWatch to this account’s alarms on the operations key', () => {
    const monitoring = grants.filter(
      (g) => g.kind === 'key policy' && g.service === 'cloudwatch.amazonaws.com',
    );

    expect(monitoring.length).toBeGreaterThan(0);
    for (const grant of monitoring) {
      expect([...grant.conditionKeys].sort()).toEqual(['aws:SourceAccount', 'aws:SourceArn']);
    }
  });

  it('keeps EventBridge to this account’s rules on every spoke forwarding role', () => {
    const forwarding = grants.filter(
      (g) => g.kind === 'role trust' && g.service === 'events.amazonaws.com',
    );

    expect(forwarding.length).toBeGreaterThan(0);
    for (const grant of forwarding) {
      expect([...grant.conditionKeys].sort()).toEqual(['aws:SourceAccount', 'aws:SourceArn']);
    }
  });
});
