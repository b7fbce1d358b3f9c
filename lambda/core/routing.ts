import * as v from 'valibot';
import type { Detection } from './catalog';
import { matches } from './catalog';
import type { CloudTrailEnvelope, CloudTrailRecord } from './cloudtrail';
import { InvalidEventError, validateEnvelope } from './cloudtrail';
import { isPlainObject, parseOrThrow } from './validation';

/**
 * How a deployed rule hands an event to the detector: the detection that routed it and the
 * event whole. An event matching N detections starts N invocations, each owning one alert,
 * so no two invocations race for the same alert and none fails for it. The CDK app writes
 * this template into every detector rule's target; the handler reads it back here.
 */
export interface RoutedEvent {
  readonly detection: string;
  readonly event: unknown;
}

/**
 * The target's input template for `detectionId`: EventBridge puts the whole original event
 * (detail included) where `<aws.events.event.json>` stands, unescaped, as a JSON value.
 */
export function routedInputTemplate(detectionId: string): string {
  return `{"detection":${JSON.stringify(detectionId)},"event":<aws.events.event.json>}`;
}

/** What one invocation is asked to do: the event, and the detection that routed it, if any. */
export interface Invocation {
  readonly envelope: CloudTrailEnvelope;
  /** Absent for an event sent as EventBridge sends it to any target (by hand, or redriven). */
  readonly detectionId?: string;
}

const DETECTION_ID_REASON = 'must be a detection id (1 to 256 characters)';

/** The id a rule's target names; which detection it is, `detectionsFor` decides. */
const ROUTED_DETECTION_ID = v.pipe(
  v.string(DETECTION_ID_REASON),
  v.minLength(1, DETECTION_ID_REASON),
  v.maxLength(256, DETECTION_ID_REASON),
);

/** True when `input` has the routed shape; the event inside is not yet validated. */
export function isRouted(input: unknown): input is RoutedEvent {
  return (
    isPlainObject(input) &&
    Object.hasOwn(input, 'detection') &&
    Object.hasOwn(input, 'event') &&
    !Object.hasOwn(input, 'detail-type')
  );
}

/**
 * Reads an invocation: a routed event (`{detection, event}`) or a bare EventBridge event.
 * Throws `InvalidEventError` naming the field for anything else.
 */
export function readInvocation(input: unknown): Invocation {
  if (!isRouted(input)) return { envelope: validateEnvelope(input) };
  const detectionId = parseOrThrow(
    ROUTED_DETECTION_ID,
    input.detection,
    (issue) => new InvalidEventError('detection', issue.message),
  );
  return { envelope: validateEnvelope(input.event), detectionId };
}

/**
 * The detections an invocation runs: the one that routed it, when it matches (a pattern is
 * a superset of its detection, so a routed event may still raise nothing); else every
 * detection of `catalog` that matches. A routed id this detector does not run is an error,
 * so the event is kept in the failure queue rather than dropped.
 */
export function detectionsFor(
  invocation: Invocation,
  record: CloudTrailRecord,
  catalog: readonly Detection[],
): Detection[] {
  if (invocation.detectionId === undefined) {
    return catalog.filter((detection) => matches(detection, record));
  }
  const routed = catalog.find((detection) => detection.id === invocation.detectionId);
  if (routed === undefined) {
    throw new InvalidEventError(
      'detection',
      `names a detection this detector does not run: ${JSON.stringify(invocation.detectionId.slice(0, 100))}`,
    );
  }
  return matches(routed, record) ? [routed] : [];
}
