import { isDeepStrictEqual } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import type { SgwatchApp } from '../../bin/app';
import { CATALOG } from '../../lambda/core/catalog';
import { loadSigmaRules } from '../../lambda/core/sigma';
import { readSigmaSources } from '../../lambda/sigma-loader';
import { readSigmaRules, SIGMA_RULES_FILE_NAME } from '../../lambda/sigma-loader';
import { ConfigError } from '../../lib/config';
import { DETECTION_TAG, READ_ONLY_RULE_STATE } from '../../lib/constructs/detection-rules';
import { describeSynthError } from '../../lib/synth-messages';
import { removeTemporaryDirs, synthesize } from '../support/synth';

afterAll(removeTemporaryDirs);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ROOT = join(__dirname, '..', '..');
const RULES = 'test/fixtures/sigma/rules';
const HUB = { account: '111122223333', region: 'us-east-1' };
const compiled = loadSigmaRules(readSigmaSources([RULES], ROOT)).compiled;

function rulesByDetection(template: Json): Map<string, Json[]> {
  const rules = new Map<string, Json[]>();
  for (const resource of Object.values<Json>(template.Resources)) {
    if (resource.Type !== 'AWS::Events::Rule') continue;
    const tag = (resource.Properties.Tags as { Key: string; Value: string }[]).find(
      ({ Key }) => Key === DETECTION_TAG,
    );
    if (tag !== undefined) rules.set(tag.Value, [...(rules.get(tag.Value) ?? []), resource]);
  }
  return rules;
}

describe('cdk deploy -c sigmaRules=PATH', () => {
  let app: SgwatchApp;
  let hub: Json;

  beforeAll(() => {
    app = synthesize({ sigmaRules: RULES, regions: 'us-east-1,eu-west-1' }, { hubEnv: HUB });
    hub = Template.fromStack(app.stack).toJSON();
  });

  it('deploys each rule’s patterns on the default and hub buses beside the built-in rules', () => {
    const rules = rulesByDetection(hub);
    expect([...rules.keys()].sort()).toEqual(
      [...CATALOG.map((d) => d.id), ...compiled.map((c) => c.detection.id)].sort(),
    );
    for (const { detection, patterns } of compiled) {
      const deployed = rules.get(detection.id) ?? [];
      expect(deployed).toHaveLength(2 * patterns.patterns.length);
      for (const rule of deployed) {
        expect(patterns.patterns).toContainEqual(rule.Properties.EventPattern);
        expect(rule.Properties.Description).toBe(
          `sgwatch ${detection.id}: ${detection.title}${rule.Properties.EventBusName !== undefined ? ' (events forwarded by spokes)' : ''}`,
        );
      }
    }
  });

  it('asks for read-only management events only for rules that can match them', () => {
    const rules = rulesByDetection(hub);
    for (const { detection, scope } of compiled) {
      for (const rule of rules.get(detection.id) ?? []) {
        expect(rule.Properties.State).toBe(scope.readOnly ? READ_ONLY_RULE_STATE : 'ENABLED');
      }
    }
    expect(compiled.some((c) => c.scope.readOnly)).toBe(true);
    for (const id of CATALOG.map((d) => d.id)) {
      for (const rule of rules.get(id) ?? []) expect(rule.Properties.State).toBe('ENABLED');
    }
  });

  it('forwards the rules’ events from spokes by the rules’ own patterns, in the same state', () => {
    const [spoke] = app.spokes;
    const forwarding = Object.values<Json>(
      Template.fromStack(spoke as never).toJSON().Resources,
    ).filter((resource) => resource.Type === 'AWS::Events::Rule');
    for (const { patterns, scope } of compiled) {
      for (const pattern of patterns.patterns) {
        const deployed = forwarding.filter((rule) =>
          isDeepStrictEqual(rule.Properties.EventPattern, pattern),
        );
        expect(deployed).toHaveLength(1);
        expect(deployed[0]?.Properties.State).toBe(
          scope.readOnly ? READ_ONLY_RULE_STATE : 'ENABLED',
        );
      }
    }
  });

  it('tells the detector where its bundled rules are', () => {
    Template.fromStack(app.stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: { SGWATCH_SIGMA_RULES_FILE: SIGMA_RULES_FILE_NAME },
      },
    });
  });

  it('leaves the detector without the variable when no rules are deployed', () => {
    const plain = Template.fromStack(synthesize().stack).toJSON();
    const fn = Object.values<Json>(plain.Resources).find(
      (resource) => resource.Type === 'AWS::Lambda::Function',
    );
    expect(fn?.Properties.Environment.Variables.SGWATCH_SIGMA_RULES_FILE).toBeUndefined();
  });

  it('fails synth with one line naming the file and line of a rule that does not load', () => {
    let caught: unknown;
    try {
      synthesize({ sigmaRules: `${RULES},test/fixtures/sigma/broken` });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect(describeSynthError(caught)).toEqual([
      'Error: Invalid CDK context "sigmaRules": test/fixtures/sigma/broken/counting.yml:10: condition: aggregations (| count(), | min() ...) are not supported: sgwatch alerts on each event, without counting events (and 1 more: sgwatch sigma check lists all)',
    ]);
  });

  it('fails synth on a path that does not exist', () => {
    expect(() => synthesize({ sigmaRules: 'no/such/rules' })).toThrow(
      /Invalid CDK context "sigmaRules": cannot read Sigma rules at .*no\/such\/rules: ENOENT/,
    );
  });
});

describe('larger rule sets', () => {
  it('synthesizes every SigmaHQ CloudTrail rule', () => {
    const sigmahq = synthesize({ sigmaRules: 'test/fixtures/sigma/sigmahq' });
    const rules = rulesByDetection(Template.fromStack(sigmahq.stack).toJSON());
    const sigmaIds = [...rules.keys()].filter((id) => id.startsWith('sigma.'));
    expect(sigmaIds).toHaveLength(57);
  });

  it('gives a rule whose patterns do not fit one EventBridge rule a rule per pattern', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sgwatch-sigma-large-'));
    try {
      const names = Array.from({ length: 150 }, (_, i) => `      - Operation${i}WithALongName`);
      writeFileSync(
        join(dir, 'large.yml'),
        [
          'title: Many calls',
          'id: many-calls',
          'logsource: {product: aws, service: cloudtrail}',
          'detection:',
          '  selection:',
          '    eventName:',
          ...names,
          '  condition: selection',
        ].join('\n'),
      );
      const large = synthesize({ sigmaRules: dir });
      const deployed = rulesByDetection(Template.fromStack(large.stack).toJSON()).get(
        'sigma.many-calls',
      );
      const patterns = (deployed ?? [])
        .filter((rule) => rule.Properties.EventBusName === undefined)
        .map((rule) => rule.Properties.EventPattern);
      expect(patterns.length).toBeGreaterThan(1);
      const covered = patterns.flatMap((pattern) => pattern.detail.eventName);
      expect(covered).toHaveLength(150);
      for (const pattern of patterns)
        expect(JSON.stringify(pattern).length).toBeLessThanOrEqual(2048);
      expect(large.stack.rules.rules.has('sigma.many-calls#2')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the detector’s bundled rules', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sgwatch-sigma-bundle-'));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('compiles the rules synth wrote, as the same detections', () => {
    const sources = readSigmaSources([RULES], ROOT);
    writeFileSync(join(dir, SIGMA_RULES_FILE_NAME), JSON.stringify(sources));
    const detections = readSigmaRules({
      LAMBDA_TASK_ROOT: dir,
      SGWATCH_SIGMA_RULES_FILE: SIGMA_RULES_FILE_NAME,
    });
    expect(detections.map((d) => d.id)).toEqual(compiled.map((c) => c.detection.id));
    expect(readSigmaRules({})).toEqual([]);
  });

  it('fails start-up on a file that is missing or holds a rule that does not load', () => {
    const env = { LAMBDA_TASK_ROOT: dir, SGWATCH_SIGMA_RULES_FILE: SIGMA_RULES_FILE_NAME };
    expect(() => readSigmaRules(env)).toThrow(/SGWATCH_SIGMA_RULES_FILE: cannot read/);
    writeFileSync(
      join(dir, SIGMA_RULES_FILE_NAME),
      JSON.stringify(readSigmaSources(['test/fixtures/sigma/broken/encoded.yml'], ROOT)),
    );
    expect(() => readSigmaRules(env)).toThrow(
      /SGWATCH_SIGMA_RULES_FILE: test\/fixtures\/sigma\/broken\/encoded\.yml:9: .*base64offset/,
    );
  });
});
