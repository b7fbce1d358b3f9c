import { Template } from 'aws-cdk-lib/assertions';
import { removeTemporaryDirs, synthesize } from '../support/synth';
import { CATALOG } from '../../lambda/core/catalog';
import { DETECTION_TAG } from '../../lib/constructs/detection-rules';
import { matchesPattern } from '../support/event-pattern';
import { fixtureCases, loadEnvelope } from '../support/fixtures';

interface DeployedRule {
  readonly detectionId: string;
  readonly pattern: unknown;
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
    return { detectionId: tag.Value, pattern: rule.Properties.EventPattern };
  });
}

afterAll(removeTemporaryDirs);

const RULES = deployedRules();

describe('synthesized EventBridge rules', () => {
  it('deploy exactly one rule for each catalog detection', () => {
    expect(RULES.map((rule) => rule.detectionId).sort()).toEqual(
      CATALOG.map((detection) => detection.id).sort(),
    );
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
    it.each(RULES.map((rule) => [rule.detectionId, rule] as const))(
      'the %s rule accepts the event exactly when the case lists that detection',
      (detectionId, rule) => {
        expect(matchesPattern(rule.pattern, loadEnvelope(file))).toBe(
          detections.includes(detectionId),
        );
      },
    );
  });
});
