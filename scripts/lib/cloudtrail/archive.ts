/** Archives laid out like CloudTrail's S3 delivery. */
import { createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { CloudTrailRecord } from '../../../lambda/core/cloudtrail';
import { Prng } from './random';
import type { TargetEventName } from './records';
import { EvenSchedule, RecordFactory, checkCommon, isTargetRecord } from './records';

// ---------------------------------------------------------------------------
// Archives laid out like CloudTrail's S3 delivery
// ---------------------------------------------------------------------------

/** A record to place in the archive at its own account, region and time. */
export interface PlantedRecord {
  readonly record: CloudTrailRecord;
  /** Deliver it again in the next file of the same account and region. */
  readonly redeliver?: boolean;
}

export interface WriteArchiveOptions {
  readonly root: string;
  readonly seed: number;
  readonly accounts: readonly string[];
  readonly regions: readonly string[];
  readonly start: Date;
  /** End of the covered period; by default each account/region delivers every 5 minutes. */
  readonly end?: Date;
  readonly files: number;
  readonly recordsPerFile: number;
  readonly targetRate?: number;
  readonly failureShare?: number;
  /**
   * How many files also carry records already delivered in the previous file of their
   * account and region. The re-delivered records include that file's target calls.
   */
  readonly duplicateFiles?: number;
  /** Extra records placed by account, region and eventTime (counted in the stats). */
  readonly planted?: readonly PlantedRecord[];
  /** zlib level; fixed so output bytes do not depend on defaults. Default 6. */
  readonly gzipLevel?: number;
  readonly onFile?: (path: string) => void;
}

export interface TargetEventInfo {
  readonly eventID: string;
  readonly eventName: string;
  readonly account: string;
  readonly region: string;
  readonly eventTime: string;
  readonly errorCode?: string;
  /** Every file the event was written to (more than one when re-delivered). */
  readonly paths: string[];
}

export interface ArchiveStats {
  readonly files: number;
  /** Records written, counting re-deliveries. */
  readonly records: number;
  readonly uniqueRecords: number;
  readonly duplicateRecords: number;
  readonly compressedBytes: number;
  readonly rawBytes: number;
  /** Distinct target events by name and outcome. */
  readonly targets: Record<TargetEventName, { success: number; failure: number }>;
  readonly targetEventIds: string[];
  readonly targetEvents: TargetEventInfo[];
  readonly duplicatedEventIds: string[];
  readonly paths: string[];
}

const PAD2 = (n: number): string => String(n).padStart(2, '0');

/** The S3 key CloudTrail uses for a log file delivered at `deliveredAt`. */
export function cloudTrailKey(
  account: string,
  region: string,
  deliveredAt: Date,
  unique: string,
): string {
  const y = String(deliveredAt.getUTCFullYear());
  const m = PAD2(deliveredAt.getUTCMonth() + 1);
  const d = PAD2(deliveredAt.getUTCDate());
  const stamp = `${y}${m}${d}T${PAD2(deliveredAt.getUTCHours())}${PAD2(deliveredAt.getUTCMinutes())}Z`;
  return `AWSLogs/${account}/CloudTrail/${region}/${y}/${m}/${d}/${account}_CloudTrail_${region}_${stamp}_${unique}.json.gz`;
}

/** Matches a CloudTrail log file key; groups: account, region, yyyy, mm, dd, stamp, unique. */
export const CLOUDTRAIL_KEY_PATTERN =
  /^AWSLogs\/(\d{12})\/CloudTrail\/([a-z]{2}(?:-[a-z]+)+-\d)\/(\d{4})\/(\d{2})\/(\d{2})\/\1_CloudTrail_\2_(\3\4\5T\d{4}Z)_([A-Za-z0-9]{16})\.json\.gz$/;

function* fileChunks(
  records: readonly CloudTrailRecord[],
  counter: { raw: number },
): Generator<string> {
  // Serialise in slices so a large file never becomes one giant string.
  let buffer = '{"Records":[';
  for (let i = 0; i < records.length; i++) {
    buffer += (i === 0 ? '' : ',') + JSON.stringify(records[i]);
    if (buffer.length >= 64 * 1024) {
      counter.raw += Buffer.byteLength(buffer);
      yield buffer;
      buffer = '';
    }
  }
  buffer += ']}';
  counter.raw += Buffer.byteLength(buffer);
  yield buffer;
}

function byTime(a: CloudTrailRecord, b: CloudTrailRecord): number {
  return a.eventTime < b.eventTime ? -1 : a.eventTime > b.eventTime ? 1 : 0;
}

/**
 * Writes `files` gzip files of `{"Records":[...]}` under `root` with CloudTrail's S3 key
 * layout. Account/region pairs take turns; each pair's files cover consecutive windows.
 * Only one file's records are in memory at a time.
 */
export async function writeArchive(opts: WriteArchiveOptions): Promise<ArchiveStats> {
  const rate = opts.targetRate ?? 0;
  checkCommon(opts.accounts, opts.regions, rate);
  if (!Number.isInteger(opts.files) || opts.files < 0)
    throw new RangeError('files must be a whole number');
  if (!Number.isInteger(opts.recordsPerFile) || opts.recordsPerFile < 1) {
    throw new RangeError('recordsPerFile must be at least 1');
  }
  const streams = opts.accounts.flatMap((account) =>
    opts.regions.map((region) => ({ account, region })),
  );
  const perStream = Math.ceil(opts.files / streams.length);
  const t0 = opts.start.getTime();
  const period =
    opts.end !== undefined ? (opts.end.getTime() - t0) / Math.max(1, perStream) : 5 * 60_000;
  if (!(period > 0)) throw new RangeError('end must be after start');
  const fileOf = (stream: number, slot: number): number => slot * streams.length + stream;

  // Planted records go to the file whose window holds their time (clamped to the ends).
  const extras = new Map<number, CloudTrailRecord[]>();
  const addExtra = (file: number, record: CloudTrailRecord): void => {
    const list = extras.get(file) ?? [];
    list.push(record);
    extras.set(file, list);
  };
  for (const plant of opts.planted ?? []) {
    const account = plant.record.recipientAccountId ?? '';
    const stream = streams.findIndex(
      (s) => s.account === account && s.region === plant.record.awsRegion,
    );
    if (stream < 0) {
      throw new RangeError(
        `planted record ${plant.record.eventID} is outside the archive's accounts/regions`,
      );
    }
    const lastSlot = Math.floor((opts.files - 1 - stream) / streams.length);
    if (lastSlot < 0)
      throw new RangeError(`no file is written for ${account} ${plant.record.awsRegion}`);
    const wanted = Math.floor((Date.parse(plant.record.eventTime) - t0) / period);
    const slot = Math.min(Math.max(wanted, 0), lastSlot);
    addExtra(fileOf(stream, slot), plant.record);
    if (plant.redeliver === true) {
      if (slot + 1 > lastSlot) {
        throw new RangeError(
          `planted record ${plant.record.eventID} has no later file to be re-delivered in`,
        );
      }
      addExtra(fileOf(stream, slot + 1), plant.record);
    }
  }

  // Files that re-deliver part of the previous file of the same account and region. The
  // schedule spreads them out; a re-delivery is held back until a source file holds a
  // target call (or the remaining files run out), so duplicates reach the detector.
  const sources = Math.max(0, opts.files - streams.length);
  const dupCount = Math.min(opts.duplicateFiles ?? 0, sources);
  const dupSchedule = new EvenSchedule(sources, dupCount, Prng.derive(opts.seed, 'dup').next());
  const dupPerFile = Math.max(1, Math.min(25, Math.round(opts.recordsPerFile * 0.02)));
  let dupOwed = 0;

  const factory = new RecordFactory(opts.seed);
  const total = opts.files * opts.recordsPerFile;
  const scheduleRng = Prng.derive(opts.seed, 'targets');
  const targetCount = Math.round(total * rate);
  const targetSlots = new EvenSchedule(total, targetCount, scheduleRng.next());
  const failureSlots = new EvenSchedule(
    targetCount,
    Math.round(targetCount * (opts.failureShare ?? 0.3)),
    scheduleRng.next(),
  );
  let targetIndex = 0;

  const stats = {
    files: 0,
    records: 0,
    uniqueRecords: 0,
    duplicateRecords: 0,
    compressedBytes: 0,
    rawBytes: 0,
    targets: {
      CreateDBSecurityGroup: { success: 0, failure: 0 },
      CreateCacheSecurityGroup: { success: 0, failure: 0 },
    } as Record<TargetEventName, { success: number; failure: number }>,
    targetEventIds: [] as string[],
    targetEvents: [] as TargetEventInfo[],
    duplicatedEventIds: [] as string[],
    paths: [] as string[],
  };
  const targetInfo = new Map<string, TargetEventInfo>();
  // Records a later file will re-deliver, keyed by that file; at most one entry per stream.
  const carried = new Map<number, CloudTrailRecord[]>();
  const seenPlanted = new Set<string>();

  for (let file = 0; file < opts.files; file++) {
    const stream = file % streams.length;
    const slot = Math.floor(file / streams.length);
    const { account, region } = streams[stream] ?? { account: '', region: '' };
    const rng = Prng.derive(opts.seed, 'file', file);
    const windowStart = t0 + slot * period;
    const fresh: CloudTrailRecord[] = [];
    const width = period / opts.recordsPerFile;
    factory.endBurst();
    for (let i = 0; i < opts.recordsPerFile; i++) {
      const slotTime = Math.floor(windowStart + width * (i + rng.next()));
      if (targetSlots.isMarked(file * opts.recordsPerFile + i)) {
        factory.endBurst();
        const failed = failureSlots.isMarked(targetIndex++);
        fresh.push(factory.target(rng, account, region, new Date(slotTime), failed));
      } else {
        fresh.push(factory.background(rng, account, region, slotTime, width));
      }
    }
    if (file < sources) {
      if (dupSchedule.isMarked(file)) dupOwed += 1;
      const targetsHere = fresh.filter(isTargetRecord);
      const mustPlaceNow = dupOwed >= sources - file;
      if (dupOwed > 0 && (targetsHere.length > 0 || rate === 0 || mustPlaceNow)) {
        dupOwed -= 1;
        const copies = new Set(targetsHere);
        for (let k = 0; k < dupPerFile; k++) copies.add(rng.pick(fresh));
        carried.set(file + streams.length, [...copies]);
      }
    }
    const redelivered = carried.get(file) ?? [];
    carried.delete(file);
    const planted = extras.get(file) ?? [];
    const records = [...fresh, ...planted, ...redelivered].sort(byTime);

    // CloudTrail delivers a few minutes after the window closes.
    const deliveredAt = new Date(windowStart + period + rng.between(60, 600) * 1000);
    const key = cloudTrailKey(account, region, deliveredAt, rng.alnum(16));
    const path = join(opts.root, ...key.split('/'));
    await mkdir(dirname(path), { recursive: true });
    const counter = { raw: 0 };
    await pipeline(
      Readable.from(fileChunks(records, counter)),
      createGzip({ level: opts.gzipLevel ?? 6 }),
      createWriteStream(path),
    );
    const size = (await stat(path)).size;

    stats.files += 1;
    stats.records += records.length;
    stats.rawBytes += counter.raw;
    stats.compressedBytes += size;
    stats.paths.push(path);
    const plantedAgain = planted.filter((r) => seenPlanted.has(r.eventID));
    stats.duplicateRecords += redelivered.length + plantedAgain.length;
    stats.uniqueRecords += records.length - redelivered.length - plantedAgain.length;
    for (const r of redelivered) stats.duplicatedEventIds.push(r.eventID);
    for (const r of plantedAgain) stats.duplicatedEventIds.push(r.eventID);
    for (const r of planted) seenPlanted.add(r.eventID);
    for (const r of records) {
      if (!isTargetRecord(r)) continue;
      const known = targetInfo.get(r.eventID);
      if (known !== undefined) {
        known.paths.push(path);
        continue;
      }
      const info: TargetEventInfo = {
        eventID: r.eventID,
        eventName: r.eventName,
        account: r.recipientAccountId ?? account,
        region: r.awsRegion,
        eventTime: r.eventTime,
        ...(r.errorCode !== undefined ? { errorCode: r.errorCode } : {}),
        paths: [path],
      };
      targetInfo.set(r.eventID, info);
      stats.targetEvents.push(info);
      stats.targetEventIds.push(r.eventID);
      stats.targets[r.eventName as TargetEventName][
        r.errorCode === undefined ? 'success' : 'failure'
      ] += 1;
    }
    opts.onFile?.(path);
  }
  return stats;
}
