/**
 * The scan pool hands files to worker threads as they finish earlier ones and scans in this
 * thread meanwhile; whatever the number of threads, the scans come back as one thread
 * produces them, in input order, failures included.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { InputFile } from '../../cli/replay/files';
import { discoverFiles } from '../../cli/replay/files';
import { scanAll } from '../../cli/replay/pool';
import type { FileScan } from '../../cli/replay/scan';
import { writeArchive } from '../../scripts/lib/cloudtrail-generator';
import { loadRecord } from '../support/fixtures';

let dir: string;
let files: InputFile[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sgwatch-pool-'));
  // Files of very different sizes, so threads finish out of order.
  await writeArchive({
    root: join(dir, 'a-large'),
    seed: 3,
    accounts: ['111122223333'],
    regions: ['us-east-1'],
    start: new Date('2026-02-01T00:00:00Z'),
    files: 3,
    recordsPerFile: 3_000,
    targetRate: 0.01,
  });
  await writeArchive({
    root: join(dir, 'b-small'),
    seed: 4,
    accounts: ['444455556666'],
    regions: ['eu-west-1'],
    start: new Date('2026-02-02T00:00:00Z'),
    files: 9,
    recordsPerFile: 20,
    targetRate: 0.2,
  });
  const record = loadRecord(
    'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json',
  );
  writeFileSync(join(dir, 'c-corrupt.json.gz'), gzipSync('{"Records":[]}').subarray(0, 12));
  writeFileSync(join(dir, 'd-empty.json'), '');
  writeFileSync(join(dir, 'e-one.json'), JSON.stringify({ Records: [record] }));
  ({ files } = await discoverFiles([dir]));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function scans(threads: number): Promise<FileScan[]> {
  const out: FileScan[] = [];
  for await (const scan of scanAll(files, { filter: {} }, threads)) out.push(scan);
  return out;
}

describe('the scan pool', () => {
  it('hands every result on in order to a consumer slower than the threads, which wait for it', async () => {
    // Prepare: more files than the threads may run ahead of the consumer
    const many = Array.from({ length: 40 }, (_, i) => files[i % files.length] as InputFile);
    const single: FileScan[] = [];
    for await (const scan of scanAll(many, { filter: {} }, 1)) single.push(scan);

    // Act
    const slow: FileScan[] = [];
    for await (const scan of scanAll(many, { filter: {} }, 3)) {
      slow.push(scan);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }

    // Assess
    expect(slow).toEqual(single);
  });

  it.each([2, 3, 6])(
    'with %i threads yields every file once, in input order, as one thread scans it',
    async (threads) => {
      // Prepare
      const single = await scans(1);

      // Act
      const parallel = await scans(threads);

      // Assess
      expect(parallel.map((scan) => scan.path)).toEqual(files.map((file) => file.path));
      expect(parallel).toEqual(single);
      expect(single.filter((scan) => scan.error !== undefined)).toHaveLength(2);
      expect(single.reduce((sum, scan) => sum + scan.matches.length, 0)).toBeGreaterThan(10);
    },
  );
});
