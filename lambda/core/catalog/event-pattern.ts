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

/** EventBridge's limit on the length of one rule's event pattern. */
export const MAX_EVENT_PATTERN_CHARS = 2048;

/**
 * What a spoke forwards to the hub: every call any of `detections` watches, whatever its
 * outcome or content, so an event crosses once however many detections it matches; the
 * hub's rules (one per detection) then decide which detections it meets. The few calls
 * forwarded in vain cost a cross-account event each. Names are split over several patterns
 * only when one would pass EventBridge's length limit.
 */
export function forwardingPatterns(detections: readonly Detection[]): EventPatternJson[] {
  const calls = detections.flatMap((detection) => detection.calls);
  if (calls.length === 0) throw new Error('a spoke needs at least one watched call');
  const distinct = (values: readonly string[]) => [...new Set(values)].sort();
  const sources = distinct(calls.map((call) => call.source));
  const eventSources = distinct(calls.map((call) => call.eventSource));
  const patternOf = (eventNames: readonly string[]): EventPatternJson => ({
    'detail-type': [CLOUDTRAIL_DETAIL_TYPE],
    source: sources,
    detail: { eventSource: eventSources, eventName: eventNames },
  });
  const patterns: EventPatternJson[] = [];
  let names: string[] = [];
  for (const name of distinct(calls.map((call) => call.eventName))) {
    if (
      names.length > 0 &&
      JSON.stringify(patternOf([...names, name])).length > MAX_EVENT_PATTERN_CHARS
    ) {
      patterns.push(patternOf(names));
      names = [];
    }
    names.push(name);
  }
  patterns.push(patternOf(names));
  return patterns;
}
