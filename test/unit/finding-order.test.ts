import { MemoryAlertStore } from '../../cli/memory-alert-store';
import { detect } from '../../lambda/core/catalog';
import type { AlertPublisher, FindingSink, Logger } from '../../lambda/core/ports';
import { processRecord } from '../../lambda/core/process';
import { ManualClock } from '../support/clock';
import { loadRecord } from '../support/fixtures';

const TWO_DETECTIONS =
  'cloudtrail/shared/rds-modify-db-instance.success.public-and-security-groups.json';
const SILENT: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('Security Hub beside SNS', () => {
  it('sends every notification of an event before any finding is imported, however slow the import', async () => {
    // Given an event that raises two alerts, and a finding sink that answers only when told
    const steps: string[] = [];
    let answer = (): void => undefined;
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const publisher: AlertPublisher = {
      publish: (message) => {
        steps.push(`publish ${message.attributes.ruleId ?? ''}`);
        return Promise.resolve({ messageId: `m-${steps.length}` });
      },
    };
    const findings: FindingSink = {
      record: async (alert) => {
        steps.push(`import ${alert.ruleId}`);
        await answered;
      },
    };
    const record = loadRecord(TWO_DETECTIONS);
    expect(detect(record)).toHaveLength(2);
    // When the record is processed
    const processing = processRecord(record, {
      store: new MemoryAlertStore(),
      publisher,
      findings,
      clock: new ManualClock(),
      logger: SILENT,
      retentionDays: 30,
      claimSeconds: 45,
    });
    // (a sink called in turn would see one import only, held forever: stop looking after a while)
    for (
      let turn = 0;
      turn < 1000 && steps.filter((s) => s.startsWith('import')).length < 2;
      turn += 1
    ) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Then both notifications left before the first import began, and the imports ran together
    expect(steps.slice(0, 2).every((s) => s.startsWith('publish'))).toBe(true);
    expect(steps.slice(2).every((s) => s.startsWith('import'))).toBe(true);
    answer();
    const results = await processing;
    expect(steps).toHaveLength(4);
    expect(results.map((r) => r.outcome)).toEqual(['notified', 'notified']);
  });
});
