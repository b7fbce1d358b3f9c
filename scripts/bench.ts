/**
 * sgwatch benchmarks. Every figure is printed next to a baseline measured in the same run
 * on the same machine, so the ratios mean something even where absolute times do not.
 *
 *   npm run bench                      both sections
 *   npm run bench -- --only lambda     bundle size, cold load, handler latency
 *   npm run bench -- --only replay     replay against gunzip and a naive parse, on the dense
 *                                      and sparse archives (scripts/bench/shapes.ts); start-up
 *   npm run bench -- --only store      the default store against the memory store on the
 *                                      alert-heavy archive (scripts/bench/alert-heavy.ts), the
 *                                      engines compared, and the alerts commands on --alerts N
 *   --files N --records N              size of each generated archive (40 x 5000)
 *   --repeat N                         runs per replay figure, the median is shown (3)
 *   --events N                         handler invocations to time (1000)
 *   --alerts N                         alerts in the store `alerts` commands are timed on (100000)
 *   --store-events N                   events in the alert-heavy archive (6000); 140000 raises
 *                                      about 98,000 alerts, for peak RSS at backtest scale
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
import { startEmbeddedDynamoDb } from '../cli/embedded-dynamodb';
import { LocalAlertStore } from '../cli/local-alert-store';
import { LOCAL_STORE_FILE } from '../cli/store';
import type { Alert } from '../lambda/core/alert';
import { writeAlertHeavyArchive } from './bench/alert-heavy';
import { alertsOf, benchStoreEngines } from './bench/store-engines';
import { DETECTOR_BUNDLING } from '../lib/bundling';
import { startLocalSns } from '../test/support/local-sns';
import { writeArchive } from './lib/cloudtrail-generator';
import type { ShapeName } from './bench/shapes';
import { SHAPES, shapeOptions } from './bench/shapes';
import { loadRecord, toEnvelope } from '../test/support/fixtures';

const ROOT = resolve(__dirname, '..');
const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    files: { type: 'string', default: '40' },
    records: { type: 'string', default: '5000' },
    events: { type: 'string', default: '1000' },
    alerts: { type: 'string', default: '100000' },
    'store-events': { type: 'string', default: '6000' },
    repeat: { type: 'string', default: '3' },
    archive: { type: 'string', default: join(ROOT, 'bench-data') },
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
    `cold start (median of ${runs}): node -e 0 ${ms(bareMs)}, bundle load + clients ${ms(loadMs)}, ${verdict(loadMs / bareMs, 1.8)}`,
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
      loadRecord(
        'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json',
      ),
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

/**
 * Generates one shape's archive unless the one on disk was made by the same generator,
 * shape definition and options: a stale archive would silently measure other traffic.
 */
async function ensureArchive(shape: ShapeName, root: string): Promise<string[]> {
  const options = shapeOptions(shape, root, Number(values.files), Number(values.records));
  const generator = join(ROOT, 'scripts', 'lib', 'cloudtrail');
  const sources = [
    join(ROOT, 'scripts', 'lib', 'cloudtrail-generator.ts'),
    ...readdirSync(generator)
      .sort()
      .map((name) => join(generator, name)),
    join(ROOT, 'scripts', 'bench', 'shapes.ts'),
  ];
  const stamp = sources
    .reduce((hash, path) => hash.update(readFileSync(path)), createHash('sha256'))
    .update(JSON.stringify({ ...options, planted: options.planted?.length }))
    .digest('hex');
  const stampFile = `${root}.stamp`;
  const fresh =
    existsSync(root) &&
    listFiles(root).length > 0 &&
    existsSync(stampFile) &&
    readFileSync(stampFile, 'utf8') === stamp;
  if (!fresh) {
    console.log(`generating the ${shape} archive into ${root} (kept for later runs)...`);
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    await writeArchive(options);
    writeFileSync(stampFile, stamp);
  }
  return listFiles(root);
}

interface Run {
  readonly ms: number;
  readonly rssMb: number;
  readonly stdout: string;
}

/** The median wall time of `repeat` runs, and the largest peak RSS seen. */
function measure(args: string[]): Run {
  const rss = join(ROOT, 'scripts', 'bench', 'max-rss.cjs');
  const runs = Array.from({ length: Number(values.repeat) }, () =>
    timeCommand(['--require', rss, ...args]),
  );
  return {
    ms: median(runs.map((run) => run.ms)),
    rssMb: Math.max(...runs.map((run) => maxRssMb(run.stderr))),
    stdout: runs[0]?.stdout ?? '',
  };
}

const ratio = (value: number) => `${value.toFixed(2)}x`;
const verdict = (value: number, goal: number) =>
  `${ratio(value).padStart(6)}  goal <= ${ratio(goal)}  ${value <= goal ? 'met' : 'NOT MET'}`;

const cli = join(ROOT, 'dist', 'sgwatch.cjs');
const replayArgs = (workers: number, path: string) => [
  cli,
  'replay',
  '--store',
  'memory',
  '--format',
  'jsonl',
  '--quiet',
  '--workers',
  String(workers),
  path,
];

async function benchShape(shape: ShapeName): Promise<number> {
  const root = join(values.archive, shape);
  const paths = await ensureArchive(shape, root);
  const listFile = join(tmpdir(), `sgwatch-bench-files-${process.pid}.txt`);
  writeFileSync(listFile, paths.join('\n'));
  const passes = join(ROOT, 'scripts', 'bench', 'passes.cjs');
  try {
    timeCommand([passes, 'floor', listFile]); // page cache warm: every pass reads from memory
    const floor = measure([passes, 'floor', listFile]);
    const floor2 = measure([passes, 'floor2', listFile]);
    const naive = measure([passes, 'naive', listFile]);
    const one = measure(replayArgs(1, root));
    const two = measure(replayArgs(2, root));
    const stats = JSON.parse(naive.stdout) as { bytes: number; records: number };
    const alerts = one.stdout.split('\n').filter(Boolean).length;
    const perFile = (one.ms - floor.ms) / paths.length;
    console.log(
      `\n### ${shape}: ${paths.length} files, ${stats.records.toLocaleString('en-US')} records, ${(stats.bytes / 1024 / 1024).toFixed(0)} MB raw (${(stats.bytes / stats.records).toFixed(0)} bytes a record), ${alerts} alerts`,
    );
    console.log('pass                            wall  peak RSS  vs floor');
    for (const [label, run] of [
      ['gunzip only (floor)', floor],
      ['gunzip only, two threads', floor2],
      ['gunzip + JSON.parse (naive)', naive],
      ['sgwatch replay, 1 thread', one],
      ['sgwatch replay, 2 threads', two],
    ] as const) {
      console.log(
        `${label.padEnd(28)}  ${((run.ms / 1000).toFixed(2) + ' s').padStart(7)}  ${(run.rssMb.toFixed(0) + ' MB').padStart(8)}  ${ratio(run.ms / floor.ms).padStart(7)}`,
      );
    }
    console.log(
      `cost per file above the floor: ${ms(perFile)}, ${ratio(perFile / (floor.ms / paths.length))} of gunzipping one file`,
    );
    console.log(`1 thread vs floor   ${verdict(one.ms / floor.ms, 1.3)}`);
    console.log(`2 threads vs floor  ${verdict(two.ms / floor.ms, 0.75)}`);
    console.log(`2 threads vs 1      ${ratio(two.ms / one.ms).padStart(6)}`);
    // What two threads can gain here at best: a goal below it is out of this machine's reach.
    console.log(
      `two threads on this machine: gunzip alone runs at ${ratio(floor2.ms / floor.ms)} of the floor, replay at ${ratio(two.ms / floor2.ms)} of that`,
    );
    return Math.max(one.rssMb, two.rssMb);
  } finally {
    rmSync(listFile, { force: true });
  }
}

/** Replay of a one-record archive against a bare node start: what a small replay pays. */
function benchStartup(): void {
  const dir = mkdtempSync(join(tmpdir(), 'sgwatch-bench-one-'));
  try {
    const record = loadRecord(
      'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json',
    );
    writeFileSync(join(dir, 'one.json.gz'), gzipSync(JSON.stringify({ Records: [record] })));
    timeCommand(replayArgs(1, dir)); // file cache warm
    const bare = measure(['-e', '0']);
    const one = measure(replayArgs(1, dir));
    console.log(
      `\nstart-up: node -e 0 ${ms(bare.ms)}, replay of a one-record archive ${ms(one.ms)}  ${verdict(one.ms / bare.ms, 2.5)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchReplay(): Promise<void> {
  console.log(
    `\n## Replay (median of ${values.repeat} runs each; the floor is node reading and gunzipping the same files)`,
  );
  let rss = 0;
  for (const shape of SHAPES) rss = Math.max(rss, await benchShape(shape));
  console.log(
    `\npeak RSS over every replay run: ${rss.toFixed(0)} MB  ${rss <= 256 ? 'met' : 'NOT MET'} (goal <= 256 MB)`,
  );
  benchStartup();
}

/** The alert-heavy archive, made again only when its generator changed. */
function ensureAlertHeavy(root: string, events: number): string[] {
  const stamp = createHash('sha256')
    .update(String(events))
    .update(readFileSync(join(ROOT, 'scripts', 'bench', 'alert-heavy.ts')))
    .update(readFileSync(join(ROOT, 'scripts', 'lib', 'cloudtrail', 'records.ts')))
    .digest('hex');
  const stampFile = `${root}.stamp`;
  if (!existsSync(stampFile) || readFileSync(stampFile, 'utf8') !== stamp) {
    console.log(`generating the alert-heavy archive into ${root} (kept for later runs)...`);
    writeAlertHeavyArchive({ root, events });
    writeFileSync(stampFile, stamp);
  }
  return readdirSync(root)
    .filter((name) => name.endsWith('.jsonl'))
    .sort()
    .map((name) => join(root, name));
}

function sizeOf(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
}

const embeddedArgs = (stateDir: string, path: string) => [
  cli,
  'replay',
  '--state-dir',
  stateDir,
  '--format',
  'jsonl',
  '--quiet',
  path,
];

/**
 * A store of `count` alerts for timing the `alerts` commands: the archive's alerts again and
 * again under new ids, an hour later each round. Kept in bench-data/ for later runs.
 */
async function ensureLargeStore(alerts: readonly Alert[], count: number): Promise<string> {
  const stateDir = join(values.archive, `store-${count}`);
  const done = join(stateDir, 'complete');
  if (existsSync(done)) return stateDir;
  console.log(`writing ${count.toLocaleString('en-US')} alerts into ${stateDir} (kept)...`);
  rmSync(stateDir, { recursive: true, force: true });
  const store = LocalAlertStore.open({ path: join(stateDir, LOCAL_STORE_FILE) });
  const now = new Date();
  try {
    for (let index = 0; index < count; index++) {
      const round = Math.floor(index / alerts.length);
      const base = alerts[index % alerts.length];
      if (base === undefined) break;
      const eventTime = new Date(Date.parse(base.eventTime) + round * 3_600_000).toISOString();
      const alert: Alert = {
        ...base,
        alertId: createHash('sha256').update(`${base.alertId}#${round}`).digest('hex').slice(0, 20),
        eventTime,
        timeBucket: eventTime.slice(0, 7),
      };
      const created = await store.create(alert, now);
      if (created.created) await store.markNotified(alert.alertId, created.token, 'bench', now);
    }
  } finally {
    await store.close();
  }
  writeFileSync(done, '');
  return stateDir;
}

async function benchStore(): Promise<void> {
  console.log(
    `\n## Embedded store (median of ${values.repeat} runs each; baseline: the same replay into --store memory)`,
  );
  const events = Number(values['store-events']);
  if (!Number.isInteger(events) || events < 1) {
    throw new Error(
      `--store-events must be a whole number of at least 1, not ${values['store-events']}`,
    );
  }
  const root = join(values.archive, events === 6000 ? 'alert-heavy' : `alert-heavy-${events}`);
  const files = ensureAlertHeavy(root, events);
  timeCommand(replayArgs(1, root)); // file cache warm
  const memory = measure(replayArgs(1, root));
  const alerts = memory.stdout.split('\n').filter(Boolean).length;
  const rss = join(ROOT, 'scripts', 'bench', 'max-rss.cjs');
  const firsts: Run[] = [];
  const seconds: Run[] = [];
  let bytes = 0;
  for (let run = 0; run < Number(values.repeat); run++) {
    const stateDir = mkdtempSync(join(tmpdir(), 'sgwatch-bench-store-'));
    try {
      for (const into of [firsts, seconds]) {
        const timed = timeCommand(['--require', rss, ...embeddedArgs(stateDir, root)]);
        into.push({ ms: timed.ms, rssMb: maxRssMb(timed.stderr), stdout: '' });
      }
      bytes = sizeOf(stateDir);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  }
  const summary = (runs: Run[]): Run => ({
    ms: median(runs.map((run) => run.ms)),
    rssMb: Math.max(...runs.map((run) => run.rssMb)),
    stdout: '',
  });
  const first = summary(firsts);
  const second = summary(seconds);
  console.log(
    `\n### alert-heavy: ${files.length} files of EventBridge events, ${alerts.toLocaleString('en-US')} alerts`,
  );
  console.log('replay                          wall  peak RSS  vs memory');
  for (const [label, run] of [
    ['--store memory', memory],
    ['default store, first replay', first],
    ['default store, second replay', second],
  ] as const) {
    console.log(
      `${label.padEnd(28)}  ${((run.ms / 1000).toFixed(2) + ' s').padStart(7)}  ${(run.rssMb.toFixed(0) + ' MB').padStart(8)}  ${ratio(run.ms / memory.ms).padStart(7)}`,
    );
  }
  console.log(`first replay vs memory   ${verdict(first.ms / memory.ms, 2)}`);
  console.log(`second replay vs memory  ${verdict(second.ms / memory.ms, 2)}`);
  const perAlert = bytes / Math.max(alerts, 1) / 1024;
  console.log(
    `disk: ${(bytes / 1024 / 1024).toFixed(1)} MB, ${perAlert.toFixed(2)} KB per alert  ${perAlert <= 4 ? 'met' : 'NOT MET'} (goal <= 4 KB)`,
  );
  const peak = Math.max(first.rssMb, second.rssMb);
  console.log(
    `peak RSS, default store: ${peak.toFixed(0)} MB  ${peak <= 256 ? 'met' : 'NOT MET'} (goal <= 256 MB)`,
  );

  const built = alertsOf(files);
  const { engines, stores } = await benchStoreEngines(built, 500);
  console.log(
    `\n### engines: what one delivery asks of a store, every step its own transaction (${built.length.toLocaleString('en-US')} alerts)`,
  );
  for (const figure of [...engines, ...stores]) {
    console.log(
      `${figure.name.padEnd(32)}  ${(figure.microsPerAlert.toFixed(0) + ' µs').padStart(9)} per alert  ${(figure.bytesPerAlert / 1024).toFixed(2).padStart(6)} KB per alert  (${figure.alerts.toLocaleString('en-US')} alerts)`,
    );
  }

  const count = Number(values.alerts);
  const stateDir = await ensureLargeStore(built, count);
  const sample = built[0];
  const target = `${createHash('sha256')
    .update(`${sample?.alertId ?? ''}#0`)
    .digest('hex')
    .slice(0, 20)}`;
  const alertsArgs = (...rest: string[]) => [cli, 'alerts', ...rest, '--state-dir', stateDir];
  console.log(
    `\n### alerts commands on ${count.toLocaleString('en-US')} alerts (goal: each <= 1 s)`,
  );
  const commands: [string, string[]][] = [
    ['list (newest 50)', alertsArgs('list', '--since', '2026-01-01')],
    [
      'list --severity critical',
      alertsArgs('list', '--since', '2026-01-01', '--severity', 'critical'),
    ],
    [
      'list --principal',
      alertsArgs('list', '--since', '2026-01-01', '--principal', sample?.principal ?? ''),
    ],
    ['list --limit 1000', alertsArgs('list', '--since', '2026-01-01', '--limit', '1000')],
    ['show', alertsArgs('show', target)],
  ];
  for (const [label, args] of commands) {
    const run = measure(args);
    console.log(
      `${label.padEnd(28)}  ${((run.ms / 1000).toFixed(2) + ' s').padStart(7)}  ${(run.rssMb.toFixed(0) + ' MB').padStart(8)}  ${run.ms <= 1000 ? 'met' : 'NOT MET'}`,
    );
  }
  // Each ack takes an open alert to acknowledged, then reopen puts it back for the next run.
  const acks: number[] = [];
  for (let run = 0; run < Number(values.repeat); run++) {
    acks.push(timeCommand(alertsArgs('ack', target, '--by', 'bench')).ms);
    timeCommand(alertsArgs('reopen', target, '--by', 'bench'));
  }
  const ack = median(acks);
  console.log(
    `${'ack'.padEnd(28)}  ${((ack / 1000).toFixed(2) + ' s').padStart(7)}            ${ack <= 1000 ? 'met' : 'NOT MET'}`,
  );
}

async function main(): Promise<void> {
  console.log(`sgwatch bench on node ${process.version}, ${process.platform}/${process.arch}`);
  if (values.only === undefined || values.only === 'lambda') await benchLambda();
  if (values.only === undefined || values.only === 'replay') await benchReplay();
  if (values.only === undefined || values.only === 'store') await benchStore();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
