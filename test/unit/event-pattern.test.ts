import {
  InvalidPatternError,
  UnsupportedPatternError,
  matchesPattern,
} from '../support/event-pattern';

// A trimmed CloudTrail-over-EventBridge event, shaped like the ones sgwatch's rules see.
const EVENT = {
  version: '0',
  'detail-type': 'AWS API Call via CloudTrail',
  source: 'aws.rds',
  account: '123456789012',
  region: 'us-east-1',
  resources: [],
  detail: {
    eventVersion: '1.08',
    eventSource: 'rds.amazonaws.com',
    eventName: 'CreateDBSecurityGroup',
    awsRegion: 'us-east-1',
    readOnly: false,
    apiVersion: 20140101,
    userIdentity: { type: 'IAMUser', userName: 'alice' },
    requestParameters: { dBSecurityGroupName: 'legacy-sg' },
    responseElements: null,
    additionalEventData: '',
    tags: ['prod', 'pci'],
    items: [
      { name: 'a', state: 'open' },
      { name: 'b', state: 'closed' },
    ],
    ports: [22, 5432],
    rules: [
      { from: 22, to: 22, cidr: '0.0.0.0/0' },
      { from: 5432, to: 5432, cidr: '10.0.0.0/8' },
    ],
  },
};

type Case = [description: string, pattern: unknown];

function expectMatches(cases: Case[]) {
  it.each(cases)('matches %s', (_, pattern) => {
    expect(matchesPattern(pattern, EVENT)).toBe(true);
  });
}

function expectNoMatch(cases: Case[]) {
  it.each(cases)('does not match %s', (_, pattern) => {
    expect(matchesPattern(pattern, EVENT)).toBe(false);
  });
}

describe('matchesPattern', () => {
  describe('exact values', () => {
    expectMatches([
      ['a string listed in the match array', { source: ['aws.ec2', 'aws.rds'] }],
      ['a nested string', { detail: { eventName: ['CreateDBSecurityGroup'] } }],
      ['a number', { detail: { apiVersion: [20140101] } }],
      ['a number written with an exponent', { detail: { apiVersion: [2.0140101e7] } }],
      ['a boolean', { detail: { readOnly: [false] } }],
      ['a null value', { detail: { responseElements: [null] } }],
      ['an empty string', { detail: { additionalEventData: [''] } }],
      ['any element of an event array', { detail: { tags: ['pci'] } }],
      [
        'every key of a multi-field pattern',
        {
          source: ['aws.rds'],
          'detail-type': ['AWS API Call via CloudTrail'],
          detail: { eventSource: ['rds.amazonaws.com'], eventName: ['CreateDBSecurityGroup'] },
        },
      ],
    ]);
    expectNoMatch([
      ['a value that differs in case', { source: ['AWS.RDS'] }],
      ['a number given as a string', { detail: { apiVersion: ['20140101'] } }],
      ['a string given as a number', { detail: { eventVersion: [1.08] } }],
      ['a boolean given as a string', { detail: { readOnly: ['false'] } }],
      ['null when the value is an empty string', { detail: { additionalEventData: [null] } }],
      ['an empty string when the value is null', { detail: { responseElements: [''] } }],
      ['a missing field', { detail: { errorCode: ['AccessDenied'] } }],
      ['a leaf pattern against an object value', { detail: { userIdentity: ['IAMUser'] } }],
      ['when only some keys match', { source: ['aws.rds'], detail: { eventName: ['Other'] } }],
      ['an array value that contains none of the listed values', { detail: { tags: ['dev'] } }],
    ]);
  });

  describe('nested objects and arrays of objects', () => {
    expectMatches([
      ['a field two levels down', { detail: { userIdentity: { type: ['IAMUser'] } } }],
      [
        'fields from the same array element',
        { detail: { items: { name: ['b'], state: ['closed'] } } },
      ],
    ]);
    expectNoMatch([
      [
        'fields that are only satisfied by different array elements',
        { detail: { items: { name: ['a'], state: ['closed'] } } },
      ],
      ['a nested pattern against a string value', { source: { name: ['aws.rds'] } }],
      ['a nested pattern against a missing object', { detail: { errorInfo: { code: ['x'] } } }],
    ]);
  });

  describe('exists', () => {
    expectMatches([
      ['exists:true on a present string', { detail: { eventName: [{ exists: true }] } }],
      [
        'exists:true on a key whose value is null',
        { detail: { responseElements: [{ exists: true }] } },
      ],
      ['exists:true on an empty string', { detail: { additionalEventData: [{ exists: true }] } }],
      ['exists:false on an absent key', { detail: { errorCode: [{ exists: false }] } }],
      [
        'exists:false on a key holding an object, which is not a leaf',
        { detail: { userIdentity: [{ exists: false }] } },
      ],
      ['exists:false on an empty array', { resources: [{ exists: false }] }],
      [
        'exists:false under a parent object that is absent',
        { detail: { errorInfo: { code: [{ exists: false }] } } },
      ],
    ]);
    expectNoMatch([
      ['exists:true on an absent key', { detail: { errorCode: [{ exists: true }] } }],
      ['exists:false on a present key', { detail: { eventName: [{ exists: false }] } }],
      [
        'exists:false on a key whose value is null',
        { detail: { responseElements: [{ exists: false }] } },
      ],
      ['exists:true on a key holding an object', { detail: { userIdentity: [{ exists: true }] } }],
      ['exists:true on an empty array', { resources: [{ exists: true }] }],
    ]);
  });

  describe('prefix', () => {
    expectMatches([
      ['a string with the prefix', { detail: { eventName: [{ prefix: 'CreateDB' }] } }],
      ['an array element with the prefix', { detail: { tags: [{ prefix: 'pc' }] } }],
      [
        'a prefix ignoring case',
        { detail: { eventName: [{ prefix: { 'equals-ignore-case': 'createdb' } }] } },
      ],
    ]);
    expectNoMatch([
      ['a prefix of different case', { detail: { eventName: [{ prefix: 'createDB' }] } }],
      ['a prefix the value lacks', { detail: { eventName: [{ prefix: 'Delete' }] } }],
      ['a prefix on a number', { detail: { apiVersion: [{ prefix: '2014' }] } }],
      ['a prefix on null', { detail: { responseElements: [{ prefix: '' }] } }],
      ['a prefix on a missing field', { detail: { errorCode: [{ prefix: '' }] } }],
    ]);
  });

  describe('suffix', () => {
    expectMatches([
      ['a string with the suffix', { detail: { eventName: [{ suffix: 'SecurityGroup' }] } }],
      ['an array element with the suffix', { detail: { tags: [{ suffix: 'ci' }] } }],
      [
        'a suffix ignoring case',
        { detail: { eventName: [{ suffix: { 'equals-ignore-case': 'SECURITYGROUP' } }] } },
      ],
      ['a suffix that is the whole value', { source: [{ suffix: 'aws.rds' }] }],
    ]);
    expectNoMatch([
      ['a suffix of different case', { detail: { eventName: [{ suffix: 'securitygroup' }] } }],
      ['a suffix the value lacks', { detail: { eventName: [{ suffix: 'Rule' }] } }],
      ['a suffix on a number', { detail: { apiVersion: [{ suffix: '0101' }] } }],
      ['a suffix on null', { detail: { responseElements: [{ suffix: '' }] } }],
      ['a suffix on a missing field', { detail: { errorCode: [{ suffix: '' }] } }],
    ]);
  });

  describe('numeric', () => {
    expectMatches([
      ['a number below a bound', { detail: { apiVersion: [{ numeric: ['<', 20150101] }] } }],
      [
        'a number at an inclusive bound',
        { detail: { apiVersion: [{ numeric: ['>=', 20140101] }] } },
      ],
      ['an equal number', { detail: { apiVersion: [{ numeric: ['=', 20140101] }] } }],
      ['a number inside a range', { detail: { apiVersion: [{ numeric: ['>', 0, '<=', 2.1e7] }] } }],
      ['any array element in range', { detail: { ports: [{ numeric: ['>=', 5000, '<', 6000] }] } }],
      [
        'numeric and suffix conditions met by one array element',
        {
          detail: {
            rules: {
              from: [{ numeric: ['<=', 22] }],
              to: [{ numeric: ['>=', 22] }],
              cidr: [{ suffix: '/0' }],
            },
          },
        },
      ],
    ]);
    expectNoMatch([
      [
        'a number above an exclusive bound',
        { detail: { apiVersion: [{ numeric: ['<', 20140101] }] } },
      ],
      ['a number outside a range', { detail: { apiVersion: [{ numeric: ['>', 0, '<', 100] }] } }],
      ['a numeric-looking string', { detail: { eventVersion: [{ numeric: ['>', 1] }] } }],
      ['null', { detail: { responseElements: [{ numeric: ['>', 0] }] } }],
      ['a boolean', { detail: { readOnly: [{ numeric: ['=', 0] }] } }],
      ['a missing field', { detail: { errorCode: [{ numeric: ['>', 0] }] } }],
      [
        'array elements none of which is in range',
        { detail: { ports: [{ numeric: ['>', 6000] }] } },
      ],
      [
        'conditions met only by different array elements',
        {
          detail: {
            rules: {
              from: [{ numeric: ['<=', 5432] }],
              to: [{ numeric: ['>=', 5432] }],
              cidr: [{ suffix: '/0' }],
            },
          },
        },
      ],
    ]);

    it('does not match a number beyond the range EventBridge compares', () => {
      const event = { ...EVENT, detail: { ...EVENT.detail, apiVersion: 6e9 } };
      expect(matchesPattern({ detail: { apiVersion: [{ numeric: ['>', 0] }] } }, event)).toBe(
        false,
      );
    });
  });

  describe('$or inside an array of objects', () => {
    expectMatches([
      [
        'when one branch is met by one element',
        {
          detail: {
            rules: {
              $or: [
                { from: [{ numeric: ['=', 5432] }], cidr: [{ suffix: '/8' }] },
                { from: [{ numeric: ['=', 3306] }] },
              ],
            },
          },
        },
      ],
    ]);
    expectNoMatch([
      [
        'when each branch mixes fields of different elements',
        {
          detail: {
            rules: {
              $or: [
                { from: [{ numeric: ['=', 5432] }], cidr: [{ suffix: '/0' }] },
                { from: [{ numeric: ['=', 22] }], cidr: [{ suffix: '/8' }] },
              ],
            },
          },
        },
      ],
    ]);
  });

  describe('anything-but', () => {
    expectMatches([
      ['a string other than the excluded one', { source: [{ 'anything-but': 'aws.ec2' }] }],
      [
        'a string outside the excluded list',
        { source: [{ 'anything-but': ['aws.ec2', 'aws.elasticache'] }] },
      ],
      ['a number other than the excluded one', { detail: { apiVersion: [{ 'anything-but': 1 }] } }],
      [
        'a number outside the excluded list',
        { detail: { apiVersion: [{ 'anything-but': [1, 2, 3] }] } },
      ],
      [
        'a number when the excluded value is the same digits as a string',
        { detail: { apiVersion: [{ 'anything-but': '20140101' }] } },
      ],
      ['a null value', { detail: { responseElements: [{ 'anything-but': 'x' }] } }],
      [
        'an array with one element not excluded',
        { detail: { tags: [{ 'anything-but': 'prod' }] } },
      ],
      ['a string without the excluded prefix', { region: [{ 'anything-but': { prefix: 'eu-' } }] }],
    ]);
    expectNoMatch([
      ['the excluded string', { source: [{ 'anything-but': 'aws.rds' }] }],
      ['a string in the excluded list', { source: [{ 'anything-but': ['aws.ec2', 'aws.rds'] }] }],
      [
        'the excluded number',
        { detail: { apiVersion: [{ 'anything-but': [20140101, 20150101] }] } },
      ],
      [
        'an array whose elements are all excluded',
        { detail: { tags: [{ 'anything-but': ['prod', 'pci'] }] } },
      ],
      ['a string with the excluded prefix', { region: [{ 'anything-but': { prefix: 'us-' } }] }],
      ['a missing field', { detail: { errorCode: [{ 'anything-but': 'AccessDenied' }] } }],
    ]);
  });

  describe('equals-ignore-case', () => {
    expectMatches([
      ['the same string in another case', { source: [{ 'equals-ignore-case': 'AWS.RDS' }] }],
      ['an array element in another case', { detail: { tags: [{ 'equals-ignore-case': 'PCI' }] } }],
    ]);
    expectNoMatch([
      ['a different string', { source: [{ 'equals-ignore-case': 'aws.ec2' }] }],
      ['a prefix only', { source: [{ 'equals-ignore-case': 'AWS' }] }],
      ['a number', { detail: { apiVersion: [{ 'equals-ignore-case': '20140101' }] } }],
    ]);
  });

  describe('alternatives in one match array', () => {
    expectMatches([
      [
        'when any entry matches, mixing operators',
        { detail: { errorCode: [{ exists: false }, { prefix: 'Access' }] } },
      ],
    ]);
    expectNoMatch([
      [
        'when no entry matches',
        { detail: { eventName: [{ prefix: 'Delete' }, 'ModifyDBSecurityGroup'] } },
      ],
    ]);
  });

  describe('$or', () => {
    expectMatches([
      [
        'when one top-level branch matches',
        { $or: [{ source: ['aws.elasticache'] }, { source: ['aws.rds'] }] },
      ],
      [
        'branches that pair a source with its own detail',
        {
          'detail-type': ['AWS API Call via CloudTrail'],
          $or: [
            { source: ['aws.elasticache'], detail: { eventName: ['CreateCacheSecurityGroup'] } },
            { source: ['aws.rds'], detail: { eventName: ['CreateDBSecurityGroup'] } },
          ],
        },
      ],
      [
        'inside a nested object',
        { detail: { $or: [{ errorCode: [{ exists: true }] }, { readOnly: [false] }] } },
      ],
    ]);
    expectNoMatch([
      ['when no branch matches', { $or: [{ source: ['aws.ec2'] }, { source: ['aws.s3'] }] }],
      [
        'a source paired with the other branch’s detail',
        {
          $or: [
            { source: ['aws.elasticache'], detail: { eventName: ['CreateDBSecurityGroup'] } },
            { source: ['aws.rds'], detail: { eventName: ['CreateCacheSecurityGroup'] } },
          ],
        },
      ],
      [
        'when a sibling key fails even though a branch matches',
        { region: ['eu-west-1'], $or: [{ source: ['aws.rds'] }, { source: ['aws.s3'] }] },
      ],
    ]);
    it('throws InvalidPatternError for a $or with a single branch', () => {
      expect(() => matchesPattern({ $or: [{ source: ['aws.rds'] }] }, EVENT)).toThrow(
        InvalidPatternError,
      );
    });
  });

  describe('unsupported and invalid patterns', () => {
    const unsupported: Case[] = [
      ['suffix with a wildcard', { source: [{ suffix: { wildcard: '*.rds' } }] }],
      ['cidr', { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/8' }] } }],
      ['anything-but suffix', { source: [{ 'anything-but': { suffix: '.rds' } }] }],
      [
        'anything-but equals-ignore-case',
        { source: [{ 'anything-but': { 'equals-ignore-case': 'AWS.RDS' } }] },
      ],
      ['dotted field names', { 'detail.eventName': ['CreateDBSecurityGroup'] }],
    ];
    it.each(unsupported)('throws UnsupportedPatternError for %s', (_, pattern) => {
      expect(() => matchesPattern(pattern, EVENT)).toThrow(UnsupportedPatternError);
    });

    it('throws for an unsupported operator even when an earlier key already fails', () => {
      const pattern = {
        source: ['aws.ec2'],
        detail: { sourceIPAddress: [{ cidr: '10.0.0.0/8' }] },
      };

      expect(() => matchesPattern(pattern, EVENT)).toThrow(/"cidr" at "detail.sourceIPAddress"/);
    });
  });

  describe('wildcard', () => {
    const at = (wildcard: string, value: unknown) =>
      matchesPattern({ detail: { name: [{ wildcard }] } }, { detail: { name: value } });

    it('matches any run of characters for each star, case-sensitively', () => {
      expect(at('10.*.0.*', '10.20.0.1')).toBe(true);
      expect(at('*Group', 'CreateDBSecurityGroup')).toBe(true);
      expect(at('*group', 'CreateDBSecurityGroup')).toBe(false);
      expect(at('a*', 'a')).toBe(true);
    });

    it('reads an escaped star and backslash literally, and matches strings only', () => {
      expect(at('a\\*b', 'a*b')).toBe(true);
      expect(at('a\\*b', 'axb')).toBe(false);
      expect(at('a\\\\b', 'a\\b')).toBe(true);
      expect(at('1*', 10)).toBe(false);
    });

    it('throws InvalidPatternError for consecutive stars or a stray escape', () => {
      expect(() => at('a**', 'a')).toThrow(InvalidPatternError);
      expect(() => at('a\\b', 'ab')).toThrow(InvalidPatternError);
    });

    const invalid: Case[] = [
      ['a pattern that is not an object', ['aws.rds']],
      ['a bare string field value', { source: 'aws.rds' }],
      ['an empty match array', { source: [] }],
      ['an operator object with two keys', { source: [{ prefix: 'aws', exists: true }] }],
      ['an unknown operator', { source: [{ 'starts-with': 'aws' }] }],
      ['a non-boolean exists', { source: [{ exists: 'yes' }] }],
      ['a non-string prefix', { source: [{ prefix: 5 }] }],
      [
        'an anything-but list mixing strings and numbers',
        { source: [{ 'anything-but': ['a', 1] }] },
      ],
      ['an anything-but list holding null', { source: [{ 'anything-but': [null] }] }],
      ['an empty anything-but list', { source: [{ 'anything-but': [] }] }],
      ['an empty anything-but prefix', { source: [{ 'anything-but': { prefix: '' } }] }],
      ['a nested array as a match value', { source: [['aws.rds']] }],
      ['a non-string suffix', { source: [{ suffix: 5 }] }],
      ['a numeric operand that is not an array', { detail: { apiVersion: [{ numeric: 5 }] } }],
      ['a numeric list of three', { detail: { apiVersion: [{ numeric: ['>', 0, '<'] }] } }],
      ['an unknown numeric operator', { detail: { apiVersion: [{ numeric: ['!=', 0] }] } }],
      [
        'a numeric operand given as a string',
        { detail: { apiVersion: [{ numeric: ['>', '0'] }] } },
      ],
      [
        'a numeric range written upper bound first',
        { detail: { apiVersion: [{ numeric: ['<', 10, '>', 0] }] } },
      ],
      ['a numeric range with = in it', { detail: { apiVersion: [{ numeric: ['=', 1, '<', 5] }] } }],
      ['a numeric operand out of range', { detail: { apiVersion: [{ numeric: ['<', 6e9] }] } }],
    ];
    it.each(invalid)('throws InvalidPatternError for %s', (_, pattern) => {
      expect(() => matchesPattern(pattern, EVENT)).toThrow(InvalidPatternError);
    });

    it('throws a TypeError when the event is not a JSON object', () => {
      expect(() => matchesPattern({ source: ['aws.rds'] }, 'aws.rds')).toThrow(TypeError);
    });
  });
});
