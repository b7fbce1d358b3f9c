import { CONFIG_CONTEXT_KEYS, ConfigError } from '../../lib/config';
import { PolicyFileError } from '../../lib/policy-file';
import {
  closestKey,
  describeSynthError,
  unknownContextKeyWarnings,
} from '../../lib/synth-messages';

describe('describeSynthError', () => {
  it('prints a context error as one line', () => {
    const error = new ConfigError('regions', '"mars-1" is not a valid AWS Region name');

    expect(describeSynthError(error)).toEqual([
      'Error: Invalid CDK context "regions": "mars-1" is not a valid AWS Region name',
    ]);
  });

  it('prints one line per nested cause, leaving out causes the line before already quotes', () => {
    // Prepare
    const root = new Error('disk\nfull');
    const middle = new Error('write failed', { cause: root });
    const quoted = new Error('write failed');
    const error = new PolicyFileError('/etc/x.json', 'cannot be read (write failed)', {
      cause: Object.assign(quoted, { cause: middle }),
    });

    // Act
    const lines = describeSynthError(error);

    // Assess
    expect(lines).toEqual([
      'Error: sgwatch configuration /etc/x.json: cannot be read (write failed)',
      '  caused by: disk full',
    ]);
  });

  it('cuts a very long message to one bounded line', () => {
    const error = new ConfigError('alertEmails', `${'x'.repeat(1000)}\nsecond line`);

    const [line] = describeSynthError(error) ?? [];

    expect(line).toHaveLength('Error: '.length + 300);
    expect(line).not.toContain('\n');
  });

  it('leaves errors that are not the user’s to fix alone, so they keep their stack', () => {
    expect(describeSynthError(new TypeError('x is undefined'))).toBeUndefined();
  });
});

describe('unknownContextKeyWarnings', () => {
  it.each([
    ['alertEmial', 'alertEmails'],
    ['alertemails', 'alertEmails'],
    ['opsEmail', 'opsEmails'],
    ['region', 'regions'],
    ['emailMinSeverty', 'emailMinSeverity'],
    ['logRetentionDay', 'logRetentionDays'],
  ])('names %s as a misspelling of %s', (typo, key) => {
    expect(unknownContextKeyWarnings([typo], CONFIG_CONTEXT_KEYS)).toEqual([
      `unknown context key "${typo}" is ignored; did you mean "${key}"?`,
    ]);
  });

  it('says nothing about known keys and CDK keys', () => {
    const keys = [
      ...CONFIG_CONTEXT_KEYS,
      '@aws-cdk/core:checkSecretUsage',
      'aws:cdk:bundling-stacks',
      'availability-zones:account=111122223333:region=us-east-1',
      'acknowledged-issue-numbers',
    ];
    expect(unknownContextKeyWarnings(keys, CONFIG_CONTEXT_KEYS)).toEqual([]);
  });

  it('names every other key as ignored, even one unlike any of ours', () => {
    expect(unknownContextKeyWarnings(['myTeamSetting', 'vpcId'], CONFIG_CONTEXT_KEYS)).toEqual([
      'unknown context key "myTeamSetting" is ignored: sgwatch reads only the keys in docs/deploying.md\'s context table',
      'unknown context key "vpcId" is ignored: sgwatch reads only the keys in docs/deploying.md\'s context table',
    ]);
  });

  it('picks the nearest of two close keys', () => {
    expect(closestKey('opsEmail', ['alertEmails', 'opsEmails'])).toBe('opsEmails');
  });
});
