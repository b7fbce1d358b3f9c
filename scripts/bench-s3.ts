/**
 * Replay from S3 against replay of the same files from disk, in one run:
 *
 *   node --import tsx scripts/bench-s3.ts [--files 40] [--records 5000]
 *
 * The archive is generated once into bench-data/s3-archive (seeded, reused while the
 * generator is unchanged) and uploaded to s3rver on a loopback port, so the S3 figure is
 * the cost of the S3 path itself (listing, HTTP, SDK, streaming), not of a network. Both
 * replays run in this process with one scan thread and a throwaway store, and must store
 * the same alerts.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { main } from '../cli/main';
import type { CliIo } from '../cli/io';
import { startLocalS3, uploadFolder } from '../test/support/local-s3';
import { removeTemporaryDirs } from '../test/support/synth';
import { writeArchive } from './lib/cloudtrail-generator';

const ROOT = join(__dirname, '..');

async function replay(path: string): Promise<{ seconds: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    env: process.env,
    cwd: ROOT,
    now: () => new Date(),
  };
  const started = process.hrtime.bigint();
  const code = await main(
    ['replay', '--store', 'memory', '--format', 'jsonl', '--workers', '1', '--quiet', path],
    io,
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`replay ${path} exited ${code}: ${stderr}`);
  return { seconds, stdout, stderr };
}

function ids(stdout: string): string {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => (JSON.parse(line) as { alertId: string }).alertId)
    .sort()
    .join(',');
}

async function run(): Promise<void> {
  const { values } = parseArgs({
    options: {
      files: { type: 'string', default: '40' },
      records: { type: 'string', default: '5000' },
    },
  });
  const options = {
    root: join(ROOT, 'bench-data', 's3-archive'),
    seed: 20260301,
    accounts: ['111122223333', '444455556666'],
    regions: ['us-east-1', 'eu-west-1'],
    start: new Date('2026-01-01T00:00:00Z'),
    files: Number(values.files),
    recordsPerFile: Number(values.records),
    targetRate: 10 / (Number(values.files) * Number(values.records)),
  };
  const stamp = createHash('sha256')
    .update(readFileSync(join(ROOT, 'scripts', 'lib', 'cloudtrail-generator.ts')))
    .update(JSON.stringify(options))
    .digest('hex');
  const stampFile = `${options.root}.stamp`;
  if (!existsSync(stampFile) || readFileSync(stampFile, 'utf8') !== stamp) {
    console.log(`generating ${options.files} files x ${options.recordsPerFile} records...`);
    rmSync(options.root, { recursive: true, force: true });
    mkdirSync(options.root, { recursive: true });
    await writeArchive(options);
    writeFileSync(stampFile, stamp);
  }
  const files = readdirSync(options.root, { recursive: true, withFileTypes: true }).filter((e) =>
    e.isFile(),
  );
  const bytes = files.reduce((sum, e) => sum + statSync(join(e.parentPath, e.name)).size, 0);
  const s3 = await startLocalS3();
  try {
    await uploadFolder('bench-trail', options.root);
    // One warm-up each, so neither pays for first-load costs the other then skips.
    await replay(options.root);
    await replay('s3://bench-trail/AWSLogs/');
    const disk = await replay(options.root);
    const remote = await replay('s3://bench-trail/AWSLogs/');
    if (ids(disk.stdout) !== ids(remote.stdout)) {
      throw new Error('replay from S3 stored different alerts than replay from disk');
    }
    const mb = bytes / 1024 / 1024;
    const line = (label: string, seconds: number) =>
      `${label.padEnd(28)} ${seconds.toFixed(2).padStart(6)} s  ${(mb / seconds).toFixed(1).padStart(6)} MB/s (compressed)`;
    console.log(
      `${files.length} files, ${mb.toFixed(1)} MB compressed, one scan thread, same alerts`,
    );
    console.log(line('replay from disk', disk.seconds));
    console.log(line('replay s3:// (s3rver, loopback)', remote.seconds));
    console.log(`S3 / disk: ${(remote.seconds / disk.seconds).toFixed(2)}x`);
  } finally {
    await s3.close();
    removeTemporaryDirs();
  }
}

run().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
