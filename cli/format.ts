import type { Alert } from '../lambda/core/alert';
import type { Column, ColumnText } from './table';

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

/** The principal as the tables show it: the part of the ARN after the account. */
function principalPath(principal: string): string {
  const match = /^arn:[^:]*:[^:]*::\d{12}:(.+)$/.exec(principal);
  return match?.[1] ?? principal;
}

/** One row per alert, in the order of ALERT_COLUMNS; every cell whole. */
export function alertRows(alerts: readonly Alert[]): string[][] {
  return alerts.map((alert) => [
    alert.alertId,
    alert.eventTime.replace(/\.\d{3}Z$/, 'Z'),
    alert.severity,
    alert.eventName,
    alert.outcome === 'failure' ? `failed: ${alert.error?.code ?? ''}` : 'success',
    `${alert.account}/${alert.region}`,
    principalPath(alert.principal),
    alert.resource.name,
    alert.status,
  ]);
}

const EVENT_TIME = /^(\d{4})-(\d{2}-\d{2})T(\d{2}:\d{2}):\d{2}(?:\.\d+)?Z$/;

/**
 * Event times to the minute, in UTC as before (the header says so): `03-10 11:02` under a
 * `2025 (UTC)` header when every row falls in one year, else `2025-03-10 11:02`.
 */
export function shortTimes(cells: readonly string[]): ColumnText {
  const parsed = cells.map((cell) => EVENT_TIME.exec(cell));
  const years = new Set(parsed.map((match) => match?.[1]));
  const [year] = years;
  const oneYear = years.size === 1 && year !== undefined;
  return {
    header: oneYear ? `${year} (UTC)` : 'TIME (UTC)',
    cells: cells.map((cell, i) => {
      const match = parsed[i];
      if (match === null || match === undefined) return cell;
      const [, y, day, minute] = match;
      return oneYear ? `${day} ${minute}` : `${y}-${day} ${minute}`;
    }),
  };
}

const SHORT_SEVERITY: Readonly<Record<string, string>> = { critical: 'crit', medium: 'med' };

export function shortSeverities(cells: readonly string[]): ColumnText {
  return { header: 'SEV', cells: cells.map((cell) => SHORT_SEVERITY[cell] ?? cell) };
}

/** A failed call without its error code, which `alerts show` gives. */
export function shortResults(cells: readonly string[]): ColumnText {
  return { header: 'RESULT', cells: cells.map((cell) => cell.replace(/^failed: .*$/, 'failed')) };
}

const REGION_WORDS: Readonly<Record<string, string>> = {
  north: 'n',
  south: 's',
  east: 'e',
  west: 'w',
  central: 'c',
  northeast: 'ne',
  northwest: 'nw',
  southeast: 'se',
  southwest: 'sw',
  gov: 'g',
};

/** The compact Region code people write in resource names: eu-west-1 is euw1, ap-southeast-2 apse2. */
export function regionCode(region: string): string {
  const match = /^([a-z]{2})((?:-[a-z]+)+)-(\d+)$/.exec(region);
  if (match === null) return region;
  const [, area = '', words = '', number = ''] = match;
  const middle = words
    .slice(1)
    .split('-')
    .map((word) => REGION_WORDS[word] ?? word.charAt(0))
    .join('');
  return `${area}${middle}${number}`;
}

const ACCOUNT_REGION = /^(\d{12})\/(.+)$/;

/**
 * Accounts by their last digits, as few as keep every account of the table apart (4, else 6,
 * else all 12), and Regions by their code: `111122223333/eu-west-1` becomes `…3333/euw1`.
 */
export function shortAccountRegions(cells: readonly string[]): ColumnText {
  const parsed = cells.map((cell) => ACCOUNT_REGION.exec(cell));
  const accounts = new Set(parsed.map((match) => match?.[1]).filter((a) => a !== undefined));
  const digits =
    [4, 6].find((n) => new Set([...accounts].map((a) => a.slice(-n))).size === accounts.size) ?? 12;
  return {
    header: 'ACCT/REGION',
    cells: cells.map((cell, i) => {
      const [, account = '', region = ''] = parsed[i] ?? [];
      if (account === '') return cell;
      const shown = digits === 12 ? account : `…${account.slice(-digits)}`;
      return `${shown}/${regionCode(region)}`;
    }),
  };
}

/**
 * A principal by one short name: an IAM Identity Center session by the person (the session
 * name; the role only names the permission set), any other assumed role by the role (its
 * session names are mostly generated), a user or federated user by its name without a path.
 */
export function principalShortName(path: string): string {
  const sso = /^assumed-role\/AWSReservedSSO_[^/]*\/(.+)$/.exec(path)?.[1];
  if (sso !== undefined) return sso;
  const role = /^assumed-role\/([^/]+)\//.exec(path)?.[1];
  if (role !== undefined) return role;
  return /^(?:user|federated-user)\/(?:.*\/)?([^/]+)$/.exec(path)?.[1] ?? path;
}

export function shortPrincipals(cells: readonly string[]): ColumnText {
  return { header: 'PRINCIPAL', cells: cells.map(principalShortName) };
}

/**
 * The alert tables' columns, in the order of alertRows. On a narrow terminal the least
 * useful give way first. STATUS goes first: `alerts list --status` filters on it and a
 * fresh replay is all open. RESULT next: the severity already weighs a failed call, and
 * `show` has the error. Then ACCOUNT/REGION and GROUP: `show` names both in full. PRINCIPAL
 * is dropped last, since who made the call is what an analyst asks first. STATUS, RESULT and
 * ACCOUNT/REGION are short words or codes that mean nothing cut, so they are dropped whole;
 * GROUP and PRINCIPAL are names whose start still tells something, so they may be cut.
 * ID (pasted into `alerts show`), TIME, SEV and CALL (CreateDBSecurityGroup or
 * CreateCacheSecurityGroup tells RDS from ElastiCache) are never dropped nor cut; their
 * short forms keep them within 80 columns with the longest call the catalog watches.
 */
export const ALERT_COLUMNS: readonly Column[] = [
  { header: 'ID', priority: 100, whole: true },
  { header: 'TIME', priority: 80, whole: true, abbreviate: shortTimes },
  { header: 'SEV', priority: 70, whole: true, abbreviate: shortSeverities },
  { header: 'CALL', priority: 90, whole: true },
  { header: 'RESULT', priority: 20, whole: true, droppable: true, abbreviate: shortResults },
  {
    header: 'ACCOUNT/REGION',
    priority: 30,
    whole: true,
    droppable: true,
    abbreviate: shortAccountRegions,
  },
  { header: 'PRINCIPAL', priority: 50, droppable: true, abbreviate: shortPrincipals },
  { header: 'GROUP', priority: 40, droppable: true },
  { header: 'STATUS', priority: 10, whole: true, droppable: true },
];
