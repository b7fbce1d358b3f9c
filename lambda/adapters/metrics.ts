/**
 * CloudWatch metrics as embedded metric format (EMF) log lines: the detector writes one JSON
 * object per invocation to stdout and CloudWatch Logs extracts the metrics from it. No
 * PutMetricData call, no SDK client, no library: a few hundred bytes of bundle.
 *
 * Format: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */

import type { DetectorMetric } from '../core/metric-names';
import { DETECTOR_METRICS, METRICS_DIMENSIONS, METRICS_NAMESPACE } from '../core/metric-names';

// The names, namespace and the one dimension set live in core/metric-names.ts, which the CDK
// dashboard reads too. The dimension set is coarse on purpose: each extra value is another
// billed metric, and a rule id dimension would need one line per rule; rule ids travel as a
// searchable property (`ruleIds`) instead.
export { DETECTOR_METRICS, METRICS_DIMENSIONS, METRICS_NAMESPACE };
export type { DetectorMetric };

/** The counts of one invocation, all starting at zero. */
export class InvocationMetrics {
  private readonly counts = new Map<DetectorMetric, number>(
    DETECTOR_METRICS.map((name) => [name, 0]),
  );

  add(name: DetectorMetric, count = 1): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + count);
  }

  get(name: DetectorMetric): number {
    return this.counts.get(name) ?? 0;
  }

  entries(): [DetectorMetric, number][] {
    return [...this.counts];
  }
}

/**
 * The EMF document for one invocation. `properties` (request id, event id, rule ids) are
 * written beside the metrics for Logs Insights; they never override a metric, a dimension
 * or the `_aws` metadata.
 */
export function emfDocument(
  metrics: InvocationMetrics,
  timestamp: Date,
  properties: Record<string, unknown> = {},
): Record<string, unknown> {
  const values = Object.fromEntries(metrics.entries());
  return {
    ...properties,
    _aws: {
      Timestamp: timestamp.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [Object.keys(METRICS_DIMENSIONS)],
          Metrics: DETECTOR_METRICS.map((name) => ({ Name: name, Unit: 'Count' })),
        },
      ],
    },
    ...METRICS_DIMENSIONS,
    ...values,
  };
}

export type LineWriter = (line: string) => void;

/** Lambda sends stdout to CloudWatch Logs line by line; EMF needs each document on one line. */
const stdoutWriter: LineWriter = (line) => {
  process.stdout.write(`${line}\n`);
};

/** Writes one invocation's EMF line; `write` defaults to stdout. */
export function emitMetrics(
  metrics: InvocationMetrics,
  timestamp: Date,
  properties: Record<string, unknown> = {},
  write: LineWriter = stdoutWriter,
): void {
  write(JSON.stringify(emfDocument(metrics, timestamp, properties)));
}
