import { CLOUDTRAIL_DETAIL_TYPE } from '../cloudtrail';
import type { Detection, EventPatternJson, WatchedCall } from './detection';

export type { EventPatternJson } from './detection';

/** The keys every call pattern sets itself; a content filter may not redefine them. */
const RESERVED_DETAIL_KEYS = ['eventSource', 'eventName', 'errorCode'];

function callPattern(detection: Detection, call: WatchedCall): EventPatternJson {
  const filter = call.detailFilter ?? {};
  const clash = RESERVED_DETAIL_KEYS.find((key) => Object.hasOwn(filter, key));
  if (clash !== undefined) {
    throw new Error(
      `detection ${detection.id}: the detailFilter of ${call.eventName} redefines detail.${clash}`,
    );
  }
  return {
    source: [call.source],
    detail: {
      eventSource: [call.eventSource],
      eventName: [call.eventName],
      errorCode: [{ exists: detection.outcome === 'failure' }],
      ...filter,
    },
  };
}

/**
 * The EventBridge pattern for a detection: its calls, its outcome and, where the detection
 * reads the request, the part of that condition EventBridge can express. A detection
 * watching several calls gets one `$or` branch per call, so the pattern never admits a
 * source/eventName pair that does not exist, and each call keeps its own content filter.
 */
export function eventPatternFor(detection: Detection): EventPatternJson {
  const [first, ...rest] = detection.calls;
  if (first === undefined) {
    throw new Error(`detection ${detection.id} watches no calls`);
  }
  const base = { 'detail-type': [CLOUDTRAIL_DETAIL_TYPE] };
  if (rest.length === 0) {
    return { ...base, ...callPattern(detection, first) };
  }
  return { ...base, $or: detection.calls.map((call) => callPattern(detection, call)) };
}

/**
 * Every pattern deployed for a detection, one EventBridge rule each: the detection's own
 * patterns when it has its own condition, else the one generated from its calls.
 */
export function eventPatternsFor(detection: Detection): readonly EventPatternJson[] {
  return detection.condition?.eventPatterns ?? [eventPatternFor(detection)];
}

/** Whether the detection's rules must receive read-only management events too. */
export function needsReadOnlyEvents(detection: Detection): boolean {
  return detection.condition?.readOnly === true;
}
