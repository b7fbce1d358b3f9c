import { parsePolicy, PolicyError } from '../../../lambda/core/policy-file';

function withRules(rules: unknown[]): unknown {
  return {
    exceptions: [
      {
        id: 'sigma-exception',
        reason: 'the trail rotation job stops logging every night',
        owner: 'platform-team@example.com',
        expires: '2027-06-30',
        match: { rules },
      },
    ],
  };
}

describe('exceptions for Sigma detections', () => {
  it('accept a Sigma detection id, which the configuration file cannot look up', () => {
    const policy = parsePolicy(
      withRules(['sigma.5b1e3f0a-7c2d-4e8f-9a6b-1c2d3e4f5a6b', 'aws.rds.create-db-security-group']),
    );
    expect(policy.exceptions[0]?.match.rules).toEqual([
      'sigma.5b1e3f0a-7c2d-4e8f-9a6b-1c2d3e4f5a6b',
      'aws.rds.create-db-security-group',
    ]);
  });

  it('rejects an id that is neither a built-in detection nor shaped like a Sigma one', () => {
    expect(() => parsePolicy(withRules(['sigma.']))).toThrow(PolicyError);
    expect(() => parsePolicy(withRules(['aws.rds.no-such-rule']))).toThrow(PolicyError);
  });
});
