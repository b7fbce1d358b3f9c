import { CLOUDTRAIL_DETAIL_TYPE } from '../cloudtrail';
import type { Detection, WatchedCall } from './detection';

/** An EventBridge event pattern as plain JSON (what CloudFormation takes). */
export type EventPatternJson = Record<string, unknown>;

function callPattern(detection: Detection, call: WatchedCall): EventPatternJson {
  return {
    source: [call.source],
    detail: {
      eventSource: [call.eventSource],
      eventName: [call.eventName],
      errorCode: [{ exists: detection.outcome === 'failure' }],
    },
  };
}

/**
 * The EventBridge pattern that delivers exactly the records `matches(detection, …)`
 * accepts. A detection watching several calls gets one `$or` branch per call, so the
 * pattern never admits a source/eventName pair that does not exist.
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
