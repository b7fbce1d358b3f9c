import { Duration, Tags } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Detection, EventPatternJson } from '../../lambda/core/catalog';
import { eventPatternsFor, needsReadOnlyEvents } from '../../lambda/core/catalog';
import { routedInputTemplate } from '../../lambda/core/routing';

/** Tag on each rule naming the detection it serves; tests and operators map rules by it. */
export const DETECTION_TAG = 'sgwatch:detection';

/**
 * The rule state in which EventBridge also delivers read-only management events (Describe*,
 * Get*, List* ...), for detections that can match them (Sigma rules can).
 */
export const READ_ONLY_RULE_STATE = 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';

export interface DetectionRulesProps {
  readonly detections: readonly Detection[];
  /** Where each detection's matching events go (`detectorTarget`). */
  readonly target: (detection: Detection) => events.IRuleTarget;
  /**
   * The bus the rules listen on.
   * @default - the account's default bus, where CloudTrail management events arrive
   */
  readonly eventBus?: events.IEventBus;
  /** Words for each rule's description after the detection, e.g. `forwarded to the hub`. */
  readonly purpose?: string;
}

/**
 * How the rules retry the detector: EventBridge retries with backoff, up to four retries
 * after the first attempt within two hours, riding out throttling or a brief Lambda outage
 * before the event is parked in the dead-letter queue.
 */
export const DETECTOR_RULE_RETRY = { attempts: 4, maxEventAge: Duration.hours(2) } as const;

/**
 * The input a detector rule passes: the detection that routed the event and the event
 * whole, so the invocation runs that one detection (see lambda/core/routing.ts).
 */
class RoutedEventInput extends events.RuleTargetInput {
  constructor(private readonly detectionId: string) {
    super();
  }

  override bind(): events.RuleTargetInputProperties {
    return { inputTemplate: routedInputTemplate(this.detectionId) };
  }
}

/**
 * The detector as each detection's rule target: the event goes with the detection's id,
 * retried as {@link DETECTOR_RULE_RETRY} says.
 */
export function detectorTarget(
  detector: lambda.IFunction,
  deadLetterQueue: sqs.IQueue,
): (detection: Detection) => events.IRuleTarget {
  return (detection) =>
    new targets.LambdaFunction(detector, {
      event: new RoutedEventInput(detection.id),
      retryAttempts: DETECTOR_RULE_RETRY.attempts,
      maxEventAge: DETECTOR_RULE_RETRY.maxEventAge,
      deadLetterQueue,
    });
}

/**
 * The catalog's plain-JSON pattern as the L2 type. `EventPattern` spells `detail-type` as
 * `detailType` and renames it back when rendering; every other key, `$or` included, is
 * passed to CloudFormation unchanged, so the deployed pattern is exactly the catalog's.
 */
export function toEventPattern(pattern: EventPatternJson): events.EventPattern {
  const { 'detail-type': detailType, ...rest } = pattern;
  const renamed: Record<string, unknown> =
    detailType === undefined ? rest : { ...rest, detailType };
  return renamed;
}

/** `aws.rds.create-db-security-group` → `AwsRdsCreateDbSecurityGroup`, a readable construct id. */
function constructIdFor(detection: Detection): string {
  return detection.id
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== '')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

/**
 * One EventBridge rule per detection, each routing its CloudTrail events to its target.
 * The catalog generates every pattern, so the deployed rules, the Lambda and replay cannot
 * disagree on what a detection matches; hub and spokes share the same patterns.
 *
 * Every description starts with `sgwatch `: `sgwatch doctor` finds the rules by it.
 */
export class DetectionRules extends Construct {
  /** By detection id; a detection's further rules, if any, under `<id>#2`, `<id>#3` ... */
  readonly rules: ReadonlyMap<string, events.Rule>;

  constructor(scope: Construct, id: string, props: DetectionRulesProps) {
    super(scope, id);
    const rules = new Map<string, events.Rule>();
    for (const detection of props.detections) {
      const purpose = props.purpose === undefined ? '' : ` (${props.purpose})`;
      // A detection with patterns too long for one rule (a large Sigma rule) gets one rule
      // per pattern; the first keeps the detection's own construct id and map key.
      eventPatternsFor(detection).forEach((pattern, index) => {
        const part = index === 0 ? '' : `Part${index + 1}`;
        const rule = new events.Rule(this, `${constructIdFor(detection)}${part}`, {
          description: `sgwatch ${detection.id}: ${detection.title}${purpose}`.slice(0, 512),
          eventPattern: toEventPattern(pattern),
          ...(props.eventBus !== undefined ? { eventBus: props.eventBus } : {}),
          targets: [props.target(detection)],
        });
        if (needsReadOnlyEvents(detection)) {
          (rule.node.defaultChild as events.CfnRule).state = READ_ONLY_RULE_STATE;
        }
        Tags.of(rule).add(DETECTION_TAG, detection.id);
        rules.set(index === 0 ? detection.id : `${detection.id}#${index + 1}`, rule);
      });
    }
    this.rules = rules;
  }
}
