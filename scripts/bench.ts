/**
 * sgwatch benchmarks. Every figure is printed next to a baseline measured in the same run
 * on the same machine, so the ratios mean something even where absolute times do not.
 *
 *   npm run bench                      both sections
 *   npm run bench -- --only lambda     bundle size, cold load, handler latency
 *   npm run bench -- --only replay     replay throughput against gunzip and a naive parse
 *   --files N --records N              size of the generated replay archive (200 x 5000)
 *   --events N                         handler invocations to time (1000)
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { startEmbeddedDynamoDb } from '../lambda/adapters/embedded-dynamodb';
import { DETECTOR_BUNDLING } from '../lib/bundling';
import { startLocalSns } from '../test/support/local-sns';
import { writeArchive } from './lib/cloudtrail-generator';
import { loadRecord, toEnvelope } from '../test/support/fixtures';

const ROOT = resolve(__dirname, '..');
const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    files: { type: 'string', default: '200' },
    records: { type: 'string', default: '5000' },
    events: { type: 'string', default: '1000' },
    archive: { type: 'string', default: join(ROOT, 'bench-data', 'archive') },
  },
});

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const ms = (value: number) => `${value.toFixed(2)} ms`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

function timeCommand(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): { ms: number; stdout: string; stderr: string } {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, {
    env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) {
    throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  }
  return { ms: elapsed, stdout: result.stdout, stderr: result.stderr };
}

async function benchLambda(): Promise<void> {
  console.log('\n## Detector Lambda');
  const outDir = mkdtempSync(join(tmpdir(), 'sgwatch-bench-'));
  const outfile = join(outDir, 'index.mjs');
  await build({
    entryPoints: [join(ROOT, 'lambda', 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: DETECTOR_BUNDLING.target,
    minify: DETECTOR_BUNDLING.minify,
    mainFields: [...DETECTOR_BUNDLING.mainFields],
    banner: { js: DETECTOR_BUNDLING.banner },
    external: [...DETECTOR_BUNDLING.lazyExternals],
    logLevel: 'warning',
  });
  const raw = statSync(outfile).size;
  const gz = gzipSync(await import('node:fs').then((fs) => fs.readFileSync(outfile)), {
    level: 9,
  }).length;
  console.log(`bundle: ${kb(raw)} raw, ${kb(gz)} gzipped  (aim: <= 400 KB raw, <= 120 KB gzipped)`);

  const env = {
    ...process.env,
    ALERT_TABLE_NAME: 'bench',
    ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:bench',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
  };
  const runs = 15;
  const bare: number[] = [];
  const load: number[] = [];
  const loadScript = `await import(${JSON.stringify(`file://${outfile}`)})`;
  timeCommand(['--input-type=module', '-e', loadScript], env); // warm the file cache
  for (let i = 0; i < runs; i++) {
    bare.push(timeCommand(['-e', '0'], env).ms);
    load.push(timeCommand(['--no-warnings', '--input-type=module', '-e', loadScript], env).ms);
  }
  const bareMs = median(bare);
  const loadMs = median(load);
  console.log(
    `cold start (median of ${runs}): node -e 0 ${ms(bareMs)}, bundle load + clients ${ms(loadMs)}, ratio ${(loadMs / bareMs).toFixed(2)}x  (aim: <= 1.9x)`,
  );

  const [db, sns] = await Promise.all([startEmbeddedDynamoDb(), startLocalSns()]);
  Object.assign(process.env, {
    ...env,
    ALERT_TABLE_NAME: db.tableName,
    AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
    AWS_ENDPOINT_URL_SNS: sns.url,
  });
  const silence = process.stdout.write.bind(process.stdout);
  try {
    // The handler logs one JSON line per alert; keep the bench output readable.
    process.stdout.write = () => true;
    const { handler } = (await import(`file://${outfile}`)) as {
      handler: (e: unknown) => Promise<unknown>;
    };
    const base = toEnvelope(
      loadRecord('cloudtrail/rds-create-db-security-group.success.iam-user.json'),
    );
    // Each event from its own caller, two hours after the last: every one is a new alert
    // (history lookup, create, burst counters, publish, mark notified), not a burst update.
    const run = Date.now();
    const event = (i: number) => ({
      ...base,
      detail: {
        ...base.detail,
        eventID: `bench-${run}-${i}`,
        eventTime: new Date(Date.UTC(2026, 0, 1) + (i + 100) * 7_200_000).toISOString(),
        userIdentity: {
          ...base.detail.userIdentity,
          arn: `arn:aws:iam::111122223333:user/bench-${run}-${i}`,
        },
      },
    });
    for (let i = 0; i < 50; i++) await handler(event(-i - 1));
    const count = Number(values.events);
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const e = event(i);
      const started = process.hrtime.bigint();
      await handler(e);
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    process.stdout.write = silence;
    times.sort((a, b) => a - b);
    console.log(
      `handler per new alert (${count} events, dynalite + local SNS, bundle loaded from outside the repo): p50 ${ms(percentile(times, 50))}, p99 ${ms(percentile(times, 99))}, max ${ms(times[times.length - 1] ?? NaN)}; ${sns.published.length - 50} published`,
    );
  } finally {
    process.stdout.write = silence;
    await Promise.all([db.close(), sns.close()]);
    rmSync(outDir, { recursive: true, force: true });
  }
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.json.gz'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

function maxRssMb(stderr: string): number {
  const match = /SGWATCH_BENCH_MAX_RSS_KB=(\d+)/.exec(stderr);
  return match === null ? NaN : Number(match[1]) / 1024;
}

async function benchReplay(): Promise<void> {
  console.log('\n## Replay');
  const archive = values.archive;
  const files = Number(values.files);
  const recordsPerFile = Number(values.records);
  const options = {
    root: archive,
    seed: 2026,
    accounts: ['111122223333', '444455556666', '777788889999'],
    regions: ['us-east-1', 'eu-west-1', 'ap-southeast-2'],
    start: new Date('2026-01-01T00:00:00Z'),
    files,
    recordsPerFile,
    targetRate: 20 / (files * recordsPerFile),
    duplicateFiles: 2,
  };
  // The archive is reused between runs, but only if the generator and its options are the
  // ones that made it: a stale archive would silently measure different traffic.
  const stamp = createHash('sha256')
    .update(readFileSync(join(ROOT, 'scripts', 'lib', 'cloudtrail-generator.ts')))
    .update(JSON.stringify(options))
    .digest('hex');
  const stampFile = join(archive, '..', 'archive.stamp');
  const fresh =
    existsSync(archive) &&
    listFiles(archive).length > 0 &&
    existsSync(stampFile) &&
    readFileSync(stampFile, 'utf8') === stamp;
  if (!fresh) {
    console.log(
      `generating ${files} files x ${recordsPerFile} records into ${archive} (reused by later runs until the generator changes)...`,
    );
    const started = Date.now();
    rmSync(archive, { recursive: true, force: true });
    mkdirSync(archive, { recursive: true });
    const stats = await writeArchive(options);
    writeFileSync(stampFile, stamp);
    console.log(
      `generated ${stats.records} records in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  const paths = listFiles(archive);
  const compressed = paths.reduce((sum, p) => sum + statSync(p).size, 0);
  const listFile = join(tmpdir(), `sgwatch-bench-files-${process.pid}.txt`);
  writeFileSync(listFile, paths.join('\n'));
  const passes = join(ROOT, 'scripts', 'bench', 'passes.cjs');
  const rss = join(ROOT, 'scripts', 'bench', 'max-rss.cjs');
  const cli = join(ROOT, 'dist', 'sgwatch.cjs');

  const measure = (label: string, args: string[]) => {
    const run = timeCommand(['--require', rss, ...args]);
    return {
      label,
      ms: run.ms,
      rssMb: maxRssMb(run.stderr),
      stdout: run.stdout,
      stderr: run.stderr,
    };
  };
  timeCommand([passes, 'floor', listFile]); // warm the page cache so every pass reads from memory
  const floor = measure('gunzip only (floor)', [passes, 'floor', listFile]);
  const naive = measure('gunzip + JSON.parse + filter', [passes, 'naive', listFile]);
  const replayArgs = (workers: number) => [
    cli,
    'replay',
    '--store',
    'memory',
    '--format',
    'jsonl',
    '--quiet',
    '--workers',
    String(workers),
    archive,
  ];
  const one = measure('sgwatch replay, 1 worker', replayArgs(1));
  const two = measure('sgwatch replay, 2 workers', replayArgs(2));
  const naiveStats = JSON.parse(naive.stdout) as {
    bytes: number;
    records: number;
    matched: number;
  };
  const alerts = one.stdout.split('\n').filter(Boolean).length;
  rmSync(listFile, { force: true });

  console.log(
    `archive: ${paths.length} files, ${naiveStats.records.toLocaleString('en-US')} records, ${(compressed / 1024 / 1024).toFixed(1)} MB gzipped, ${(naiveStats.bytes / 1024 / 1024).toFixed(1)} MB raw; ${naiveStats.matched} records match a watched eventName, replay printed ${alerts} alert records (redelivered events included)`,
  );
  console.log(
    'pass                            wall      raw MB/s  records/s     peak RSS  vs floor  vs naive',
  );
  for (const run of [floor, naive, one, two]) {
    const seconds = run.ms / 1000;
    console.log(
      `${run.label.padEnd(30)}  ${(seconds.toFixed(2) + ' s').padStart(8)}  ${(naiveStats.bytes / 1024 / 1024 / seconds).toFixed(0).padStart(8)}  ${Math.round(
        naiveStats.records / seconds,
      )
        .toLocaleString('en-US')
        .padStart(
          10,
        )}  ${(run.rssMb.toFixed(0) + ' MB').padStart(9)}  ${(run.ms / floor.ms).toFixed(2).padStart(7)}x  ${(run.ms / naive.ms).toFixed(2).padStart(7)}x`,
    );
  }
  console.log('aim: replay <= 1.5x the floor on one worker, faster on two; peak RSS <= 256 MB');
}

async function main(): Promise<void> {
  console.log(`sgwatch bench on node ${process.version}, ${process.platform}/${process.arch}`);
  if (values.only === undefined || values.only === 'lambda') await benchLambda();
  if (values.only === undefined || values.only === 'replay') await benchReplay();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
