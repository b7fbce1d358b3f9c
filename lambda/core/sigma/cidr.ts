/**
 * Address ranges for `|cidr`. Addresses are read strictly (dotted decimal without leading
 * zeros; IPv6 in hex groups with at most one `::`), so a range's prefix in text is also a
 * prefix of every address text inside it, which the EventBridge pattern relies on.
 */

export interface Cidr {
  readonly version: 4 | 6;
  readonly bits: bigint;
  readonly length: number;
  /** The address as written, without the length. */
  readonly address: string;
}

const OCTET = /^(?:0|[1-9]\d{0,2})$/;

function ipv4(text: string): bigint | undefined {
  const octets = text.split('.');
  if (octets.length !== 4) return undefined;
  let value = 0n;
  for (const octet of octets) {
    if (!OCTET.test(octet) || Number(octet) > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

const GROUP = /^[0-9a-fA-F]{1,4}$/;

function ipv6(text: string): bigint | undefined {
  if (text.length > 45) return undefined;
  let body = text;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    // An IPv4 tail (::ffff:10.0.0.1) is two groups written in decimal.
    const v4 = ipv4(tail);
    if (v4 === undefined) return undefined;
    body = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const split = (half: string): string[] => (half === '' ? [] : half.split(':'));
  let groups: string[];
  if (halves.length === 2) {
    const head = split(halves[0] ?? '');
    const rest = split(halves[1] ?? '');
    const missing = 8 - head.length - rest.length;
    if (missing < 1) return undefined;
    groups = [...head, ...Array<string>(missing).fill('0'), ...rest];
  } else {
    groups = split(body);
  }
  if (groups.length !== 8 || !groups.every((g) => GROUP.test(g))) return undefined;
  let value = 0n;
  for (const group of groups) value = (value << 16n) | BigInt(parseInt(group, 16));
  return value;
}

/** An address as a number and its version, or undefined when the text is not an address. */
export function parseAddress(text: string): { version: 4 | 6; value: bigint } | undefined {
  const v4 = ipv4(text);
  if (v4 !== undefined) return { version: 4, value: v4 };
  if (!text.includes(':')) return undefined;
  const v6 = ipv6(text);
  return v6 === undefined ? undefined : { version: 6, value: v6 };
}

export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const lengthText = slash === -1 ? undefined : text.slice(slash + 1);
  const parsed = parseAddress(address);
  if (parsed === undefined) return undefined;
  const max = parsed.version === 4 ? 32 : 128;
  if (lengthText !== undefined && !/^(?:0|[1-9]\d{0,2})$/.test(lengthText)) return undefined;
  const length = lengthText === undefined ? max : Number(lengthText);
  if (length > max) return undefined;
  const shift = BigInt(max - length);
  return { version: parsed.version, bits: (parsed.value >> shift) << shift, length, address };
}

export function cidrContains(cidr: Cidr, text: string): boolean {
  const parsed = parseAddress(text);
  if (parsed === undefined || parsed.version !== cidr.version) return false;
  const shift = BigInt((cidr.version === 4 ? 32 : 128) - cidr.length);
  return (parsed.value >> shift) << shift === cidr.bits;
}

/**
 * The text every IPv4 address in the range starts with (`10.` for 10.0.0.0/8), or undefined
 * when there is none to say (a range shorter than /8, or IPv6, written many ways).
 */
export function cidrTextPrefix(cidr: Cidr): string | undefined {
  if (cidr.version !== 4 || cidr.length < 8) return undefined;
  const whole = Math.floor(cidr.length / 8);
  const octets: string[] = [];
  for (let i = 0; i < whole; i++) {
    octets.push(String(Number((cidr.bits >> BigInt(24 - i * 8)) & 255n)));
  }
  return whole === 4 ? octets.join('.') : `${octets.join('.')}.`;
}
