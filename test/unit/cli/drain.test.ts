import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { CliIo, Output } from '../../../cli/io';
import { drained } from '../../../cli/io';
import { main } from '../../../cli/main';
import { loadRecord } from '../../support/fixtures';

const RDS =
  'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json';

/** A stream that holds what it is given until `flush`, as a pipe to a reader that paused. */
class HeldOutput extends EventEmitter implements Output {
  text = '';
  held = 0;
  constructor(private readonly highWaterMark: number) {
    super();
  }
  get writableNeedDrain(): boolean {
    return this.held >= this.highWaterMark;
  }
  write(chunk: string): boolean {
    this.text += chunk;
    this.held += chunk.length;
    return !this.writableNeedDrain;
  }
  flush(): void {
    this.held = 0;
    this.emit('drain');
  }
  /** Settles when somebody next waits for 'drain'. */
  waiter(): Promise<'waiting'> {
    return new Promise((resolve) =>
      this.once('newListener', (event: string) =>
        event === 'drain' ? resolve('waiting') : resolve(this.waiter()),
      ),
    );
  }
}

describe('drained', () => {
  it('settles at once when the stream holds nothing, or cannot say', async () => {
    const output = new HeldOutput(10);
    await expect(drained(output)).resolves.toBeUndefined();
    await expect(drained({ write: () => true })).resolves.toBeUndefined();
  });

  it('waits for drain while the stream is full, and settles when it closes or fails', async () => {
    for (const event of ['drain', 'close', 'error'] as const) {
      const output = new HeldOutput(1);
      output.write('x');
      let settled = false;
      const wait = drained(output).then(() => (settled = true));
      await new Promise((resolve) => setImmediate(resolve));
      expect(settled).toBe(false);
      output.emit(event);
      await wait;
      expect(settled).toBe(true);
    }
  });
});

describe('replay to a stream that reads slowly', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sgwatch-drain-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes no more than a file of alerts past a full stream, and prints every alert', async () => {
    const files = 4;
    const perFile = 5;
    for (let file = 0; file < files; file++) {
      const records = Array.from({ length: perFile }, (_, i) => ({
        ...loadRecord(RDS),
        eventID: `held-${file}-${i}`,
      }));
      writeFileSync(
        join(dir, `trail-${file}.json.gz`),
        gzipSync(JSON.stringify({ Records: records })),
      );
    }
    // Full after the first alert: every later file must wait until the reader takes it all.
    const stdout = new HeldOutput(1);
    const io: CliIo = {
      stdout,
      stderr: { write: () => true },
      env: { USER: 'tester' },
      cwd: dir,
      now: () => new Date('2026-03-01T00:00:00Z'),
    };
    const run = main(
      ['replay', '--store', 'memory', '--format', 'jsonl', '--workers', '1', dir],
      io,
    );
    const linesSeen: number[] = [];
    for (;;) {
      const next = await Promise.race([stdout.waiter(), run.then(() => 'done' as const)]);
      if (next === 'done') break;
      linesSeen.push(stdout.text.split('\n').filter(Boolean).length);
      // The reader takes everything; the next 'drain' listener is added once the stream
      // fills again.
      setImmediate(() => stdout.flush());
    }
    expect(await run).toBe(0);
    // Each time the reader looked, the replay had gone exactly one file further.
    expect(linesSeen).toEqual([1, 2, 3, 4].map((n) => n * perFile));
    expect(stdout.text.split('\n').filter(Boolean)).toHaveLength(files * perFile);
  });
});
