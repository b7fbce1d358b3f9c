import {
  DETECTOR_METRICS,
  InvocationMetrics,
  METRICS_DIMENSIONS,
  METRICS_NAMESPACE,
  emfDocument,
  emitMetrics,
} from '../../lambda/adapters/metrics';
import { DETECTOR_METRICS as DASHBOARD_METRICS } from '../../lambda/core/metric-names';

const AT = new Date('2026-03-02T09:16:00.123Z');

interface Directive {
  Namespace: string;
  Dimensions: string[][];
  Metrics: { Name: string; Unit: string }[];
}

function documentOf(metrics = new InvocationMetrics(), properties = {}) {
  return emfDocument(metrics, AT, properties) as Record<string, unknown> & {
    _aws: { Timestamp: unknown; CloudWatchMetrics: Directive[] };
  };
}

describe('the embedded metric format line', () => {
  it('carries the metadata the EMF specification requires', () => {
    const doc = documentOf();
    expect(doc._aws.Timestamp).toBe(AT.getTime());
    expect(Number.isInteger(doc._aws.Timestamp)).toBe(true);
    expect(doc._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'sgwatch',
        Dimensions: [['Service']],
        Metrics: DETECTOR_METRICS.map((name) => ({ Name: name, Unit: 'Count' })),
      },
    ]);
  });

  it('stays within the specification limits and resolves every reference at the root', () => {
    const doc = documentOf();
    for (const directive of doc._aws.CloudWatchMetrics) {
      expect(directive.Namespace.length).toBeGreaterThan(0);
      expect(directive.Namespace.length).toBeLessThanOrEqual(255);
      expect(directive.Metrics.length).toBeLessThanOrEqual(100);
      for (const set of directive.Dimensions) {
        expect(set.length).toBeLessThanOrEqual(30);
        // Each dimension names a string member of the root object.
        for (const dimension of set) expect(typeof doc[dimension]).toBe('string');
      }
      for (const metric of directive.Metrics) {
        expect(metric.Name.length).toBeLessThanOrEqual(255);
        expect(typeof doc[metric.Name]).toBe('number');
      }
    }
    expect(doc.Service).toBe('sgwatch-detector');
  });

  it('reports every metric, zeros included, so alarms see no gaps', () => {
    const metrics = new InvocationMetrics();
    metrics.add('EventsReceived');
    metrics.add('Duplicates', 2);
    const doc = documentOf(metrics);
    expect(doc.EventsReceived).toBe(1);
    expect(doc.Duplicates).toBe(2);
    for (const name of DETECTOR_METRICS.filter(
      (n) => n !== 'EventsReceived' && n !== 'Duplicates',
    )) {
      expect(doc[name]).toBe(0);
    }
  });

  it('writes properties beside the metrics without letting them override one', () => {
    const metrics = new InvocationMetrics();
    metrics.add('AlertsCreated');
    const doc = documentOf(metrics, {
      requestId: 'req-1',
      ruleIds: ['aws.rds.create-db-security-group'],
      AlertsCreated: 99,
      Service: 'spoofed',
      _aws: 'spoofed',
    });
    expect(doc.requestId).toBe('req-1');
    expect(doc.ruleIds).toEqual(['aws.rds.create-db-security-group']);
    expect(doc.AlertsCreated).toBe(1);
    expect(doc.Service).toBe('sgwatch-detector');
    expect(doc._aws.CloudWatchMetrics[0]?.Namespace).toBe(METRICS_NAMESPACE);
  });

  it('is written as exactly one line of JSON', () => {
    const lines: string[] = [];
    emitMetrics(new InvocationMetrics(), AT, { note: 'a\nb' }, (line) => lines.push(line));
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ note: 'a\nb', EventsReceived: 0 });
  });

  it('emits every metric the CloudWatch dashboard and alarms name, in the same namespace', () => {
    for (const name of DASHBOARD_METRICS) expect(DETECTOR_METRICS).toContain(name);
    expect(METRICS_DIMENSIONS).toEqual({ Service: 'sgwatch-detector' });
  });
});
