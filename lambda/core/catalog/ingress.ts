/**
 * Which data-store ports an EC2 security group request opens to the whole internet, read
 * from the request alone, and the part of that question an EventBridge pattern can ask.
 *
 * Decisions, each mirrored by the pattern so the two cannot drift:
 * - "The internet" is any IPv4 or IPv6 range with prefix length 0. EC2 canonicalises the
 *   address part, so `10.1.2.3/0` is stored as `0.0.0.0/0`; reading only the prefix catches
 *   that spelling too. Ranges wider than a /8 but not /0 are not treated as the internet.
 * - Protocol `-1` opens every port. Otherwise only TCP counts (`tcp` in any ASCII case, or
 *   `6`): every listed engine speaks TCP, and a UDP or ICMP rule to these ports reaches no
 *   database. Ports are the JSON integers CloudTrail writes (0-65535); EC2 parses the
 *   caller's text into those numbers, so a caller cannot make CloudTrail log a port as text.
 * - A rule whose source is a security group or a prefix list names no address range, so it
 *   is not internet exposure, whatever its ports.
 */
import { cleanText } from '../text';
import type { EventPatternJson } from './detection';
import type { JsonObject } from './request';
import { objectsAt, objectsIn, ownField, portNumber, stringsAt } from './request';

export interface DataStorePort {
  readonly port: number;
  /** The engines that listen there by default. */
  readonly engines: string;
}

/** Default ports of the data stores AWS runs, in port order. */
export const DATA_STORE_PORTS: readonly DataStorePort[] = [
  { port: 1433, engines: 'SQL Server' },
  { port: 1521, engines: 'Oracle' },
  { port: 3306, engines: 'MySQL/MariaDB/Aurora MySQL' },
  { port: 5432, engines: 'PostgreSQL/Aurora PostgreSQL' },
  { port: 5439, engines: 'Redshift' },
  { port: 6379, engines: 'Redis/Valkey' },
  { port: 9042, engines: 'Cassandra/Keyspaces' },
  { port: 11211, engines: 'Memcached' },
  { port: 27017, engines: 'MongoDB/DocumentDB' },
];

/** One rule as the request states it: the raw protocol and ports, and its address ranges. */
export interface RequestedRule {
  readonly groupId: string | undefined;
  /** Set for ModifySecurityGroupRules, whose request names the rule it rewrites. */
  readonly ruleId?: string;
  readonly protocol: unknown;
  readonly fromPort: unknown;
  readonly toPort: unknown;
  readonly ranges: readonly string[];
}

/** A rule that opens at least one data-store port to an internet-wide range. */
export interface InternetExposure {
  readonly rule: RequestedRule;
  readonly range: string;
  readonly allProtocols: boolean;
  readonly ports: readonly DataStorePort[];
}

const IPV4_ANY = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\/0$/;
const IPV6_ANY = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\/0$/;

/** True for an IPv4 or IPv6 range of prefix length 0: every address there is. */
export function isInternetRange(value: unknown): value is string {
  return typeof value === 'string' && (IPV4_ANY.test(value) || IPV6_ANY.test(value));
}

// ASCII case only: a subset of what the pattern's equals-ignore-case admits.
const TCP_NAME = /^tcp$/i;

function isAllProtocols(protocol: unknown): boolean {
  return protocol === '-1';
}

function isTcp(protocol: unknown): boolean {
  return typeof protocol === 'string' && (TCP_NAME.test(protocol) || protocol === '6');
}

/** The data-store ports a rule's protocol and port range let through. */
export function dataStorePortsOpened(rule: RequestedRule): DataStorePort[] {
  if (isAllProtocols(rule.protocol)) return [...DATA_STORE_PORTS];
  if (!isTcp(rule.protocol)) return [];
  const from = portNumber(rule.fromPort);
  const to = portNumber(rule.toPort);
  if (from === undefined || to === undefined) return [];
  return DATA_STORE_PORTS.filter(({ port }) => from <= port && port <= to);
}

function stringField(object: unknown, key: string): string | undefined {
  const value = ownField(object, key);
  return typeof value === 'string' ? value : undefined;
}

/**
 * AuthorizeSecurityGroupIngress: the `ipPermissions.items` list, and the older form that
 * puts one rule's protocol, ports and `cidrIp` at the top of the request.
 */
function authorizeRules(params: unknown): RequestedRule[] {
  const groupId = stringField(params, 'groupId');
  const listed = objectsAt(params, ['ipPermissions', 'items']).map((permission) => ({
    groupId,
    protocol: ownField(permission, 'ipProtocol'),
    fromPort: ownField(permission, 'fromPort'),
    toPort: ownField(permission, 'toPort'),
    ranges: [
      ...stringsAt(permission, ['ipRanges', 'items', 'cidrIp']),
      ...stringsAt(permission, ['ipv6Ranges', 'items', 'cidrIpv6']),
    ],
  }));
  const topLevelRanges = stringsAt(params, ['cidrIp']);
  if (topLevelRanges.length === 0) return listed;
  return [
    ...listed,
    {
      groupId,
      protocol: ownField(params, 'ipProtocol'),
      fromPort: ownField(params, 'fromPort'),
      toPort: ownField(params, 'toPort'),
      ranges: topLevelRanges,
    },
  ];
}

/**
 * ModifySecurityGroupRules: `ModifySecurityGroupRulesRequest.SecurityGroupRule` holds one
 * update or a list of them, each naming a rule id and the rule's new content.
 */
function modifyRules(params: unknown): RequestedRule[] {
  const requests = objectsAt(params, ['ModifySecurityGroupRulesRequest']);
  return requests.flatMap((request) => {
    const groupId = stringField(request, 'GroupId');
    return objectsIn(ownField(request, 'SecurityGroupRule')).flatMap((update) => {
      const ruleId = stringField(update, 'SecurityGroupRuleId');
      return objectsIn(ownField(update, 'SecurityGroupRule')).map((rule: JsonObject) => ({
        groupId,
        ...(ruleId !== undefined ? { ruleId } : {}),
        protocol: ownField(rule, 'IpProtocol'),
        fromPort: ownField(rule, 'FromPort'),
        toPort: ownField(rule, 'ToPort'),
        ranges: [...stringsAt(rule, ['CidrIpv4']), ...stringsAt(rule, ['CidrIpv6'])],
      }));
    });
  });
}

/** The rules a security group call asks for, or none for any other call. */
export function requestedRules(eventName: string, params: unknown): RequestedRule[] {
  if (eventName === 'AuthorizeSecurityGroupIngress') return authorizeRules(params);
  if (eventName === 'ModifySecurityGroupRules') return modifyRules(params);
  return [];
}

/** Every (rule, internet range) pair that opens a data-store port, in request order. */
export function internetExposures(eventName: string, params: unknown): InternetExposure[] {
  return requestedRules(eventName, params).flatMap((rule) => {
    const ports = dataStorePortsOpened(rule);
    if (ports.length === 0) return [];
    return rule.ranges.filter(isInternetRange).map((range) => ({
      rule,
      range,
      allProtocols: isAllProtocols(rule.protocol),
      ports,
    }));
  });
}

const GROUP_ID = /^sg-[0-9a-f]{8,17}$/;

/** Well-formed group ids a lookup may ask EC2 about; anything else is never sent anywhere. */
export function exposedGroupIds(eventName: string, params: unknown): string[] {
  const ids = internetExposures(eventName, params)
    .map(({ rule }) => rule.groupId)
    .filter((id): id is string => id !== undefined && GROUP_ID.test(id));
  return [...new Set(ids)];
}

function portList(ports: readonly DataStorePort[]): string {
  return ports.map(({ port, engines }) => `${port} (${engines})`).join(', ');
}

/** One line per exposure, e.g. `sg-0abc: tcp 5432 (PostgreSQL/…) open to 0.0.0.0/0`. */
export function describeExposure(exposure: InternetExposure): string {
  const { rule, range, ports } = exposure;
  const group = rule.groupId !== undefined ? cleanText(rule.groupId, 64) : 'group not named';
  const what = exposure.allProtocols
    ? 'all protocols and ports (protocol -1), every data-store port included'
    : ports.length === 1 && rule.fromPort === rule.toPort
      ? `tcp ${portList(ports)}`
      : `tcp ${String(rule.fromPort)}-${String(rule.toPort)}, which covers ${portList(ports)}`;
  const modified =
    rule.ruleId !== undefined
      ? ` (rule ${cleanText(rule.ruleId, 64)} rewritten; the request does not say whether it is inbound or outbound)`
      : '';
  return `${group}: ${what} open to ${range}${modified}`;
}

// --- The EventBridge side -----------------------------------------------------------------

const INTERNET_RANGE = [{ suffix: '/0' }];
const TCP_VALUES = [{ 'equals-ignore-case': 'tcp' }, '6'];
const LOWEST_PORT = Math.min(...DATA_STORE_PORTS.map(({ port }) => port));
const HIGHEST_PORT = Math.max(...DATA_STORE_PORTS.map(({ port }) => port));

interface RuleKeys {
  readonly protocol: string;
  readonly fromPort: string;
  readonly toPort: string;
}

/**
 * "All protocols", or "TCP with a range that overlaps 1433-27017", the span of the data-store
 * ports. One branch per port would be exact but makes the pattern about three times larger
 * than EventBridge's default limit of 2048 characters; the span already drops the rules
 * internet-facing groups carry most (22, 80, 443), and the detector decides the rest.
 * Numeric matching only ever sees JSON numbers, as `portNumber` does.
 */
function protocolAndPortBranches(keys: RuleKeys): EventPatternJson[] {
  return [
    { [keys.protocol]: ['-1'] },
    {
      [keys.protocol]: TCP_VALUES,
      [keys.fromPort]: [{ numeric: ['<=', HIGHEST_PORT] }],
      [keys.toPort]: [{ numeric: ['>=', LOWEST_PORT] }],
    },
  ];
}

/** Each protocol/port branch, each also requiring one of the given internet-range fields. */
function withInternetRange(
  keys: RuleKeys,
  ranges: readonly EventPatternJson[],
): EventPatternJson[] {
  return protocolAndPortBranches(keys).map((branch) =>
    ranges.length === 1 ? { ...branch, ...ranges[0] } : { ...branch, $or: ranges },
  );
}

const AUTHORIZE_KEYS: RuleKeys = { protocol: 'ipProtocol', fromPort: 'fromPort', toPort: 'toPort' };
const MODIFY_KEYS: RuleKeys = { protocol: 'IpProtocol', fromPort: 'FromPort', toPort: 'ToPort' };

/**
 * What EventBridge can check of an AuthorizeSecurityGroupIngress request: a listed rule, or
 * the older top-level form, that lets a data-store port through from an internet-wide range.
 */
export const AUTHORIZE_INGRESS_FILTER: EventPatternJson = {
  requestParameters: {
    $or: [
      {
        ipPermissions: {
          items: {
            $or: withInternetRange(AUTHORIZE_KEYS, [
              { ipRanges: { items: { cidrIp: INTERNET_RANGE } } },
              { ipv6Ranges: { items: { cidrIpv6: INTERNET_RANGE } } },
            ]),
          },
        },
      },
      ...withInternetRange(AUTHORIZE_KEYS, [{ cidrIp: INTERNET_RANGE }]),
    ],
  },
};

/** What EventBridge can check of a ModifySecurityGroupRules request. */
export const MODIFY_RULES_FILTER: EventPatternJson = {
  requestParameters: {
    ModifySecurityGroupRulesRequest: {
      SecurityGroupRule: {
        SecurityGroupRule: {
          $or: withInternetRange(MODIFY_KEYS, [
            { CidrIpv4: INTERNET_RANGE },
            { CidrIpv6: INTERNET_RANGE },
          ]),
        },
      },
    },
  },
};
