/**
 * The alert-heavy shape: what backtesting a noisy rule looks like. About 6,000 EventBridge
 * events (JSON lines, as the detector receives them) from 500 principals in three accounts
 * and Regions over ten days, about 70% of them alerting calls (legacy security groups, a
 * database port opened to the internet) and the rest ingress on web ports that no detection
 * raises. Deterministic: a seed names the archive.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CloudTrailRecord } from '../../lambda/core/cloudtrail';
import { toEnvelope } from '../../test/support/fixtures';
import {
  authorizeSecurityGroupIngressRecord,
  createCacheSecurityGroupRecord,
  createDbSecurityGroupRecord,
  makeIdentity,
  Prng,
} from '../lib/cloudtrail-generator';

const ACCOUNTS = ['111122223333', '444455556666', '777788889999'];
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
const START = Date.parse('2026-02-01T00:00:00Z');
const SPAN_MS = 10 * 86_400_000;
const PRINCIPALS = 500;
/** Events a file holds, as EventBridge archives or exports hold a few hundred each. */
const EVENTS_PER_FILE = 500;

export interface AlertHeavyOptions {
  readonly root: string;
  /** @default 6000 */
  readonly events?: number;
}

/** One event: an alerting call (about 70%) or ingress on a web port that raises nothing. */
function eventRecord(index: number, rng: Prng): CloudTrailRecord {
  const account = rng.pick(ACCOUNTS);
  const region = rng.pick(REGIONS);
  const time = new Date(START + Math.floor(rng.next() * SPAN_MS));
  const caller = rng.int(PRINCIPALS);
  const identity = makeIdentity('iam-user', account, rng, time, `dev-${caller}`);
  const common = { account, region, time, seed: rng.int(2 ** 30), identity };
  const kind = rng.next();
  if (kind < 0.3) {
    return createDbSecurityGroupRecord({ ...common, groupName: `app-${index}-db-sg` });
  }
  if (kind < 0.5) {
    return createCacheSecurityGroupRecord({ ...common, groupName: `app-${index}-cache-sg` });
  }
  const port = kind < 0.7 ? rng.pick([5432, 3306, 6379]) : rng.pick([80, 443]);
  return authorizeSecurityGroupIngressRecord({
    ...common,
    groupId: `sg-0${rng.hex(16)}`,
    permissions: [{ protocol: 'tcp', fromPort: port, toPort: port, ipv4: ['0.0.0.0/0'] }],
  });
}

/** Writes the archive as files of EventBridge events, one JSON line each; returns them. */
export function writeAlertHeavyArchive(options: AlertHeavyOptions): string[] {
  const events = options.events ?? 6000;
  const rng = Prng.derive(2026, 'bench', 'alert-heavy');
  rmSync(options.root, { recursive: true, force: true });
  mkdirSync(options.root, { recursive: true });
  const files = Math.max(1, Math.ceil(events / EVENTS_PER_FILE));
  const lines: string[][] = Array.from({ length: files }, () => []);
  for (let index = 0; index < events; index++) {
    const record = eventRecord(index, rng);
    lines[index % files]?.push(JSON.stringify(toEnvelope(record, `bench-${index}`)));
  }
  return lines.map((file, index) => {
    const path = join(options.root, `events-${String(index).padStart(4, '0')}.jsonl`);
    writeFileSync(path, `${file.join('\n')}\n`);
    return path;
  });
}
