import { classifySourceIp, PRIVATE_RANGES } from '../../../lambda/core/enrich/source-ip';
import type { SourceIpInfo } from '../../../lambda/core/enrich/source-ip';

interface Row {
  readonly value: string | undefined;
  readonly expected: SourceIpInfo;
}

const SERVICE_ROWS: readonly Row[] = [
  {
    value: 'cloudformation.amazonaws.com',
    expected: { kind: 'aws-service', service: 'cloudformation.amazonaws.com' },
  },
  {
    value: 'lambda.amazonaws.com',
    expected: { kind: 'aws-service', service: 'lambda.amazonaws.com' },
  },
  {
    value: 'elasticloadbalancing.amazonaws.com',
    expected: { kind: 'aws-service', service: 'elasticloadbalancing.amazonaws.com' },
  },
  // Hostnames compare without regard to case.
  {
    value: 'Backup.AmazonAWS.com',
    expected: { kind: 'aws-service', service: 'backup.amazonaws.com' },
  },
  {
    value: 'ec2.amazonaws.com.cn',
    expected: { kind: 'aws-service', service: 'ec2.amazonaws.com.cn' },
  },
  { value: 'AWS Internal', expected: { kind: 'aws-internal' } },
];

const PRIVATE_ROWS: readonly Row[] = [
  { value: '10.0.0.0', expected: { kind: 'private', range: '10.0.0.0/8' } },
  { value: '10.0.1.100', expected: { kind: 'private', range: '10.0.0.0/8' } },
  { value: '10.255.255.255', expected: { kind: 'private', range: '10.0.0.0/8' } },
  { value: '172.16.0.0', expected: { kind: 'private', range: '172.16.0.0/12' } },
  { value: '172.31.255.255', expected: { kind: 'private', range: '172.16.0.0/12' } },
  { value: '192.168.0.0', expected: { kind: 'private', range: '192.168.0.0/16' } },
  { value: '192.168.1.2', expected: { kind: 'private', range: '192.168.0.0/16' } },
  { value: '100.64.0.0', expected: { kind: 'private', range: '100.64.0.0/10' } },
  { value: '100.100.100.100', expected: { kind: 'private', range: '100.64.0.0/10' } },
  { value: '100.127.255.255', expected: { kind: 'private', range: '100.64.0.0/10' } },
  { value: '127.0.0.1', expected: { kind: 'private', range: '127.0.0.0/8' } },
  { value: '169.254.169.254', expected: { kind: 'private', range: '169.254.0.0/16' } },
  { value: '::1', expected: { kind: 'private', range: '::1/128' } },
  { value: '0:0:0:0:0:0:0:1', expected: { kind: 'private', range: '::1/128' } },
  { value: 'fc00::', expected: { kind: 'private', range: 'fc00::/7' } },
  { value: 'fd12:3456:789a:1::1', expected: { kind: 'private', range: 'fc00::/7' } },
  {
    value: 'FDFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF',
    expected: { kind: 'private', range: 'fc00::/7' },
  },
  { value: 'fe80::1', expected: { kind: 'private', range: 'fe80::/10' } },
  { value: 'febf:ffff::1', expected: { kind: 'private', range: 'fe80::/10' } },
  // An IPv4-mapped address is judged by its IPv4 part, written either way.
  { value: '::ffff:10.0.0.1', expected: { kind: 'private', range: '10.0.0.0/8' } },
  { value: '::ffff:c0a8:0102', expected: { kind: 'private', range: '192.168.0.0/16' } },
];

const PUBLIC_ROWS: readonly Row[] = [
  { value: '9.255.255.255' },
  { value: '11.0.0.0' },
  { value: '172.15.255.255' },
  { value: '172.32.0.0' },
  { value: '192.167.255.255' },
  { value: '192.169.0.0' },
  { value: '100.63.255.255' },
  { value: '100.128.0.0' },
  { value: '169.253.255.255' },
  { value: '216.160.83.56' },
  { value: '203.0.113.33' },
  { value: '54.240.230.179' },
  { value: '0.0.0.0' },
  { value: '255.255.255.255' },
  { value: '2001:db8::1' },
  { value: '2600:1f18:4a3:6901:e2d1:9c5b:1b6a:3f70' },
  { value: 'fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff' },
  { value: 'fe00::1' },
  { value: 'fec0::1' },
  { value: '::2' },
  { value: '::' },
  { value: '::ffff:8.8.8.8' },
  { value: '1:2:3:4:5:6:7::' },
].map(({ value }): Row => ({ value, expected: { kind: 'public' } }));

// Each of these is malformed, ambiguous, or not an address at all.
const MALFORMED_ROWS: readonly Row[] = [
  { value: undefined },
  { value: '' },
  { value: '999.1.1.1' },
  { value: '256.0.0.1' },
  { value: '1.2.3' },
  { value: '1.2.3.4.5' },
  { value: '1..3.4' },
  { value: '01.2.3.4' },
  { value: '192.0.2.01' },
  { value: '1.2.3.-4' },
  { value: '+1.2.3.4' },
  { value: '0x7f.0.0.1' },
  { value: '1e2.0.0.1' },
  { value: ' 1.2.3.4' },
  { value: '1.2.3.4 ' },
  { value: '1.2.3.4/32' },
  { value: '1:2:3:4:5:6:7:8:9' },
  { value: '1:2:3:4:5:6:7' },
  { value: '1:2:3:4:5:6:7:8::' },
  { value: '1::2::3' },
  { value: ':::' },
  { value: ':1:2:3:4:5:6:7' },
  { value: '1:2:3:4:5:6:7:' },
  { value: '12345::1' },
  { value: 'g::1' },
  { value: 'fe80::1%eth0' },
  { value: '[::1]' },
  { value: '1.2.3.4::' },
  { value: '::1.2.3.4:5' },
  { value: '::ffff:999.0.0.1' },
  { value: 'aws internal' },
  { value: 'amazonaws.com' },
  { value: 'evil.amazonaws.com.example.net' },
  { value: '-bad.amazonaws.com' },
  { value: 'localhost' },
].map(({ value }): Row => ({ value, expected: { kind: 'unknown' } }));

describe('classifySourceIp', () => {
  it.each(SERVICE_ROWS)('reports $value as an AWS caller', ({ value, expected }) => {
    expect(classifySourceIp(value)).toEqual(expected);
  });

  it.each(PRIVATE_ROWS)('places $value in its private range', ({ value, expected }) => {
    expect(classifySourceIp(value)).toEqual(expected);
  });

  it.each(PUBLIC_ROWS)('reports $value as public', ({ value, expected }) => {
    expect(classifySourceIp(value)).toEqual(expected);
  });

  it.each(MALFORMED_ROWS)('rejects $value as unknown', ({ value, expected }) => {
    expect(classifySourceIp(value)).toEqual(expected);
  });

  it('has a positive row for every private range', () => {
    const covered = new Set(
      PRIVATE_ROWS.map(({ expected }) => (expected.kind === 'private' ? expected.range : '')),
    );
    expect(PRIVATE_RANGES.filter((range) => !covered.has(range))).toEqual([]);
  });
});
