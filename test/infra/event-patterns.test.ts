import { Template } from 'aws-cdk-lib/assertions';
import { removeTemporaryDirs, synthesize } from '../support/synth';
import { CATALOG } from '../../lambda/core/catalog';
import { DETECTION_TAG } from '../../lib/constructs/detection-rules';
import { matchesPattern } from '../support/event-pattern';
import { fixtureCases, loadEnvelope } from '../support/fixtures';

interface DeployedRule {
  readonly detectionId: string;
  /** The bus the rule listens on: `default`, or the logical id of another bus. */
  readonly bus: string;
  readonly pattern: unknown;
}

function busOf(properties: Record<string, unknown>): string {
  const name = properties.EventBusName;
  if (name === undefined) return 'default';
  return typeof name === 'string' ? name : JSON.stringify(name);
}

/**
 * The rules as CloudFormation will create them, read back from the synthesized template
 * rather than from the catalog, so a mistake anywhere between the two shows up here.
 */
function deployedRules(): DeployedRule[] {
  const { stack } = synthesize();
  const rules = Template.fromStack(stack).findResources('AWS::Events::Rule');
  return Object.entries(rules).map(([logicalId, rule]) => {
    const tags = (rule.Properties.Tags ?? []) as { Key: string; Value: string }[];
    const tag = tags.find(({ Key }) => Key === DETECTION_TAG);
    if (tag === undefined) throw new Error(`rule ${logicalId} has no ${DETECTION_TAG} tag`);
    return {
      detectionId: tag.Value,
      bus: busOf(rule.Properties),
      pattern: rule.Properties.EventPattern,
    };
  });
}

afterAll(removeTemporaryDirs);

const RULES = deployedRules();

describe('synthesized EventBridge rules', () => {
  it('deploy exactly one rule for each catalog detection on each bus', () => {
    const buses = [...new Set(RULES.map((rule) => rule.bus))];
    for (const bus of buses) {
      expect(
        RULES.filter((rule) => rule.bus === bus)
          .map((rule) => rule.detectionId)
          .sort(),
      ).toEqual(CATALOG.map((detection) => detection.id).sort());
    }
  });

  it('fit EventBridge’s default pattern size limit of 2048 characters', () => {
    const oversized = RULES.filter((rule) => JSON.stringify(rule.pattern).length > 2048);
    expect(oversized.map((rule) => rule.detectionId)).toEqual([]);
  });

  it('are exercised by fixtures that name only catalog detections', () => {
    const known = new Set(CATALOG.map((detection) => detection.id));
    const unknown = fixtureCases().flatMap((c) => c.detections.filter((id) => !known.has(id)));
    expect(unknown).toEqual([]);
  });

  it('each accept at least one fixture, so no rule passes by matching nothing', () => {
    const silent = RULES.filter(
      (rule) =>
        !fixtureCases().some(({ file }) => matchesPattern(rule.pattern, loadEnvelope(file))),
    );
    expect(silent.map((rule) => rule.detectionId)).toEqual([]);
  });

  describe.each(fixtureCases())('for fixture $file', ({ file, detections }) => {
    it.each(RULES.map((rule) => [rule.detectionId, rule.bus, rule] as const))(
      'the %s rule on the %s bus accepts the event exactly when the case lists that detection',
      (detectionId, _bus, rule) => {
        expect(matchesPattern(rule.pattern, loadEnvelope(file))).toBe(
          detections.includes(detectionId),
        );
      },
    );
  });
});
