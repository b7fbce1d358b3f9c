import { CLOUDTRAIL_DETAIL_TYPE } from '../cloudtrail';
import type { Detection, EventPatternJson, WatchedCall } from './detection';

export type { EventPatternJson } from './detection';

/** The keys every call pattern sets itself; a content filter may not redefine them. */
const RESERVED_DETAIL_KEYS = ['eventSource', 'eventName', 'errorCode'];

function checkFilter(detection: Detection, call: WatchedCall): EventPatternJson {
  const filter = call.detailFilter ?? {};
  const clash = RESERVED_DETAIL_KEYS.find((key) => Object.hasOwn(filter, key));
  if (clash !== undefined) {
    throw new Error(
      `detection ${detection.id}: the detailFilter of ${call.eventName} redefines detail.${clash}`,
    );
  }
  return filter;
}

/** Calls of one service that share a content filter, which one branch can watch together. */
interface CallGroup {
  readonly source: string;
  readonly eventSource: string;
  readonly eventNames: string[];
  readonly filter: EventPatternJson;
}

function groupCalls(detection: Detection): CallGroup[] {
  const groups = new Map<string, CallGroup>();
  for (const call of detection.calls) {
    const filter = checkFilter(detection, call);
    const key = JSON.stringify([call.source, call.eventSource, filter]);
    const group = groups.get(key);
    if (group === undefined) {
      groups.set(key, {
        source: call.source,
        eventSource: call.eventSource,
        eventNames: [call.eventName],
        filter,
      });
    } else if (!group.eventNames.includes(call.eventName)) {
      group.eventNames.push(call.eventName);
    }
  }
  return [...groups.values()];
}

function groupPattern(detection: Detection, group: CallGroup): EventPatternJson {
  return {
    source: [group.source],
    detail: {
      eventSource: [group.eventSource],
      eventName: group.eventNames,
      errorCode: [{ exists: detection.outcome === 'failure' }],
      ...group.filter,
    },
  };
}

/**
 * The EventBridge pattern for a detection: its calls, its outcome and, where the detection
 * reads the request, the part of that condition EventBridge can express. Calls of one service
 * with the same content filter share a branch (their names listed together, which keeps a
 * detection of many calls inside EventBridge's pattern size limit); each other call gets a
 * `$or` branch of its own. A branch names a single service, so the pattern never admits a
 * source/eventName pair that does not exist, and each call keeps its own content filter.
 */
export function eventPatternFor(detection: Detection): EventPatternJson {
  const groups = groupCalls(detection);
  const [first, ...rest] = groups;
  if (first === undefined) {
    throw new Error(`detection ${detection.id} watches no calls`);
  }
  const base = { 'detail-type': [CLOUDTRAIL_DETAIL_TYPE] };
  if (rest.length === 0) {
    return { ...base, ...groupPattern(detection, first) };
  }
  return { ...base, $or: groups.map((group) => groupPattern(detection, group)) };
}

/** EventBridge's limit on the length of one rule's event pattern. */
export const MAX_EVENT_PATTERN_CHARS = 2048;

/** One forwarding rule of a spoke: its pattern, and whether it needs read-only calls too. */
export interface ForwardingPattern {
  readonly pattern: EventPatternJson;
  /** Deploy in ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS (see `needsReadOnlyEvents`). */
  readonly readOnly: boolean;
}

/**
 * What a spoke forwards to the hub: every call the built-in detections watch, whatever its
 * outcome or content, so an event crosses once however many of them it matches; the hub's
 * rules (one per detection) then decide which detections it meets. The few calls forwarded
 * in vain cost a cross-account event each. Names are split over several patterns only when
 * one would pass EventBridge's length limit. A detection with its own condition (a Sigma
 * rule) is forwarded by its own patterns, read-only calls included when it needs them.
 */
export function forwardingPatterns(detections: readonly Detection[]): ForwardingPattern[] {
  const calls = detections.flatMap((detection) => detection.calls);
  const own = detections.flatMap((detection) =>
    (detection.condition?.eventPatterns ?? []).map((pattern) => ({
      pattern,
      readOnly: needsReadOnlyEvents(detection),
    })),
  );
  if (calls.length === 0) {
    if (own.length === 0) throw new Error('a spoke needs at least one detection to forward');
    return own;
  }
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
  return [...patterns.map((pattern) => ({ pattern, readOnly: false })), ...own];
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
