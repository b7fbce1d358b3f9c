/**
 * The detector's CloudWatch metrics, written as embedded metric format log lines. The CDK
 * dashboard reads the same names from here, so a rename cannot orphan a widget.
 */
export const METRICS_NAMESPACE = 'sgwatch';

/** One low-cardinality dimension: per-rule detail goes in properties, not dimensions. */
export const METRICS_DIMENSIONS = { Service: 'sgwatch-detector' } as const;

/**
 * Every metric the detector emits, each a Count summed per invocation (all of them, zeros
 * included, so alarms and dashboards never see gaps while the function runs).
 */
export const DETECTOR_METRICS = [
  /** Invocations: one per EventBridge event. */
  'EventsReceived',
  /** Events rejected as malformed (InvalidEventError); they end in the failure queue. */
  'ValidationFailures',
  /**
   * Valid events no detection matched. Expected in small numbers: a pattern cannot express
   * everything `match` checks (a port range inside the data-store span, say).
   */
  'EventsUnmatched',
  /** Alerts created and published by this invocation (new, burst update or cap summary). */
  'AlertsCreated',
  /** Pending alerts an earlier invocation stored but did not finish; this one published. */
  'AlertsResumed',
  /** Redelivered events whose alert was already finished; nothing was sent. */
  'Duplicates',
  /** Alerts recorded but not sent because an exception matched. */
  'Suppressed',
  /** Alerts recorded but not sent because the detection's notification cap was reached. */
  'Capped',
  /** SNS publishes that failed after the SDK's retries; the alert stays pending. */
  'PublishFailures',
  /**
   * Copies of an event that left their alert to another delivery holding a live claim on
   * it (a duplicate EventBridge delivery, or the same event by two paths); not an error.
   */
  'AlertsInFlight',
  /** Invocations that failed after validation, for any reason; Lambda retries them. */
  'ProcessingErrors',
  /**
   * Alerts whose Security Hub finding was not imported (not enabled, throttled, down, or
   * the finding refused). The alert was still recorded and sent; the scheduled retry run
   * imports the finding again.
   */
  'SecurityHubFailures',
] as const;

export type DetectorMetric = (typeof DETECTOR_METRICS)[number];
