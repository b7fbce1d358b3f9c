/**
 * scanFile reads every file into one buffer its thread reuses. Whatever the order of sizes
 * and formats, each scan must equal a scan of that file's bytes read on their own.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { scanBuffer, scanFile } from '../../cli/replay/scan';
import { loadRecord } from '../support/fixtures';

const RDS = loadRecord(
  'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json',
);
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sgwatch-scan-read-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A CloudTrail file of `count` records, every tenth of them a watched call. */
function logFile(count: number, tag: string): string {
  const records = Array.from({ length: count }, (_, i) => ({
    ...RDS,
    eventID: `${tag}-${i}`,
    eventName: i % 10 === 0 ? RDS.eventName : 'DescribeDBInstances',
  }));
  return JSON.stringify({ Records: records });
}

describe('scanFile reading into a reused buffer', () => {
  it('scans each file as its own bytes scan, from large to small, plain and gzip, and over 16 MB', () => {
    // Prepare: sizes that shrink and grow, so a stale tail would show, and one file larger
    // than the reused buffer takes
    const files: [string, Buffer][] = [
      ['a-large.json.gz', gzipSync(logFile(3_000, 'a'))],
      ['b-small.json', Buffer.from(logFile(3, 'b'))],
      ['c-medium.json', Buffer.from(logFile(400, 'c'))],
      ['d-tiny.json.gz', gzipSync(logFile(1, 'd'))],
      ['e-huge.json', Buffer.from(logFile(14_000, 'e'))],
      ['f-small.json', Buffer.from(logFile(2, 'f'))],
      ['g-truncated.json', Buffer.from(logFile(5, 'g').slice(0, -30))],
      ['h-empty.json', Buffer.alloc(0)],
    ];
    for (const [name, bytes] of files) writeFileSync(join(dir, name), bytes);
    expect(files[4]?.[1].length).toBeGreaterThan(16 * 1024 * 1024);

    // Act
    const scans = files.map(([name]) => scanFile(join(dir, name), { filter: {} }));

    // Assess
    const expected = files.map(([name]) =>
      scanBuffer(join(dir, name), readFileSync(join(dir, name)), { filter: {} }),
    );
    expect(scans).toEqual(expected);
    expect(scans.map((scan) => scan.records)).toEqual([3_000, 3, 400, 1, 14_000, 2, 0, 0]);
    expect(scans.map((scan) => scan.error === undefined)).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
      false,
      false,
    ]);
  });

  it('reads a named pipe to its end, as `replay <(zcat ...)` gives one', async () => {
    // Prepare: a FIFO another process writes a log file into
    const text = logFile(50, 'p');
    const source = join(dir, 'piped-source.json');
    const fifo = join(dir, 'piped.json');
    writeFileSync(source, text);
    execFileSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', 'cat "$0" > "$1"', source, fifo]);
    const written = new Promise((resolve) => writer.on('close', resolve));

    // Act
    const scan = scanFile(fifo, { filter: {} });
    await written;

    // Assess
    expect(scan.error).toBeUndefined();
    expect(scan.records).toBe(50);
    expect(scan.matches).toHaveLength(5);
  });
});
