import { ConfigurationError, readEnvironment } from '../../lambda/env';

const REQUIRED = {
  ALERT_TABLE_NAME: 'alerts',
  ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:t',
};

describe('readEnvironment: Security Hub', () => {
  it('leaves Security Hub off when SECURITY_HUB_PRODUCT_ARN is unset', () => {
    expect(readEnvironment(REQUIRED).securityHub).toBeUndefined();
  });

  it('reads the default product and the account that owns it', () => {
    const env = readEnvironment({
      ...REQUIRED,
      SECURITY_HUB_PRODUCT_ARN:
        'arn:aws-us-gov:securityhub:us-gov-west-1:111122223333:product/111122223333/default',
    });
    expect(env.securityHub).toEqual({
      productArn:
        'arn:aws-us-gov:securityhub:us-gov-west-1:111122223333:product/111122223333/default',
      account: '111122223333',
      partition: 'aws-us-gov',
    });
  });

  it('throws naming the variable when the ARN is not a default product', () => {
    expect(() =>
      readEnvironment({
        ...REQUIRED,
        SECURITY_HUB_PRODUCT_ARN: 'arn:aws:securityhub:us-east-1::product/aws/guardduty',
      }),
    ).toThrow(ConfigurationError);
    expect(() =>
      readEnvironment({ ...REQUIRED, SECURITY_HUB_PRODUCT_ARN: 'arn:aws:sns:us-east-1:1:t' }),
    ).toThrow(
      /^environment variable SECURITY_HUB_PRODUCT_ARN: .* is not a default Security Hub product ARN/,
    );
  });
});
