/**
 * Classifies CloudTrail's `sourceIPAddress`. The field holds an IPv4 or IPv6 address for calls
 * from a client, the service's hostname (e.g. "cloudformation.amazonaws.com") when an AWS
 * service made the call, or the literal "AWS Internal" for some calls AWS makes itself.
 *
 * Addresses are parsed strictly: anything that is not a well-formed address or service hostname
 * (999.1.1.1, 01.2.3.4, a zone index, a stray space) is 'unknown' rather than a best guess.
 */

export type SourceIpInfo =
  | { readonly kind: 'aws-service'; readonly service: string }
  | { readonly kind: 'aws-internal' }
  | { readonly kind: 'private'; readonly range: string }
  | { readonly kind: 'public' }
  | { readonly kind: 'unknown' };

/**
 * Ranges reported as 'private': RFC 1918, carrier-grade NAT (RFC 6598), loopback and link-local
 * for IPv4; unique-local (RFC 4193), link-local and loopback for IPv6. Every other well-formed
 * address is reported as 'public', meaning "not one of these", not "routable on the internet".
 */
export const PRIVATE_RANGES: readonly string[] = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  'fc00::/7',
  'fe80::/10',
  '::1/128',
];

/** A DNS name under amazonaws.com (or amazonaws.com.cn in the China partition). */
export const AWS_SERVICE_HOST =
  /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.amazonaws\.com(?:\.cn)?$/;

const AWS_INTERNAL = 'AWS Internal';

const DECIMAL_OCTET = /^(?:0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

/** Four bytes, or undefined unless `text` is dotted-quad with no leading zeros. */
function parseIPv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const part of parts) {
    // A leading zero is refused: some parsers read "010" as octal, so its meaning is unclear.
    if (!DECIMAL_OCTET.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    bytes.push(value);
  }
  return bytes;
}

/** 16-bit groups of one side of "::"; an embedded IPv4 address may only end the address. */
function parseGroups(side: string, allowTrailingIPv4: boolean): number[] | undefined {
  if (side === '') return [];
  const parts = side.split(':');
  const groups: number[] = [];
  for (const [index, part] of parts.entries()) {
    const last = index === parts.length - 1;
    if (last && allowTrailingIPv4 && part.includes('.')) {
      const v4 = parseIPv4(part);
      if (v4 === undefined) return undefined;
      const [a = 0, b = 0, c = 0, d = 0] = v4;
      groups.push((a << 8) | b, (c << 8) | d);
    } else if (HEX_GROUP.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

/** Sixteen bytes, or undefined unless `text` is an RFC 4291 text address (no zone index). */
function parseIPv6(text: string): number[] | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const head = parseGroups(halves[0] ?? '', false);
    const tail = parseGroups(halves[1] ?? '', true);
    if (head === undefined || tail === undefined) return undefined;
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    const all = parseGroups(text, true);
    if (all === undefined || all.length !== 8) return undefined;
    groups = all;
  }
  return groups.flatMap((group) => [group >> 8, group & 0xff]);
}

interface ParsedRange {
  readonly cidr: string;
  readonly bytes: readonly number[];
  readonly prefix: number;
}

function parseRange(cidr: string): ParsedRange {
  const [address = '', prefixText = ''] = cidr.split('/');
  const bytes = address.includes(':') ? parseIPv6(address) : parseIPv4(address);
  const prefix = Number(prefixText);
  if (bytes === undefined || !Number.isInteger(prefix) || prefix > bytes.length * 8) {
    throw new Error(`PRIVATE_RANGES holds an invalid range: ${cidr}`);
  }
  return { cidr, bytes, prefix };
}

const PARSED_RANGES: readonly ParsedRange[] = PRIVATE_RANGES.map(parseRange);

function inRange(bytes: readonly number[], range: ParsedRange): boolean {
  if (bytes.length !== range.bytes.length) return false;
  let bits = range.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((bytes[i] ?? 0) & mask) !== ((range.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is judged by the IPv4 address inside it. */
function unmapIPv4(bytes: number[]): number[] {
  const mapped =
    bytes.length === 16 &&
    bytes.slice(0, 10).every((b) => b === 0) &&
    bytes[10] === 0xff &&
    bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}

function classifyAddress(bytes: number[]): SourceIpInfo {
  const address = unmapIPv4(bytes);
  const range = PARSED_RANGES.find((candidate) => inRange(address, candidate));
  return range !== undefined ? { kind: 'private', range: range.cidr } : { kind: 'public' };
}

export function classifySourceIp(value: string | undefined): SourceIpInfo {
  if (typeof value !== 'string' || value === '') return { kind: 'unknown' };
  if (value === AWS_INTERNAL) return { kind: 'aws-internal' };
  const lower = value.toLowerCase();
  if (AWS_SERVICE_HOST.test(lower)) return { kind: 'aws-service', service: lower };
  const bytes = value.includes(':') ? parseIPv6(value) : parseIPv4(value);
  return bytes === undefined ? { kind: 'unknown' } : classifyAddress(bytes);
}
