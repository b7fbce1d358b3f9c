import { resolveRegion } from '../../../cli/aws';

describe('resolveRegion without a Region anywhere', () => {
  const saved = { ...process.env };

  beforeEach(() => {
    for (const key of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE']) delete process.env[key];
    process.env.AWS_CONFIG_FILE = '/nonexistent/config';
  });

  afterEach(() => {
    process.env = { ...saved };
  });

  it('names the command’s own Region option when it has one', async () => {
    await expect(resolveRegion(undefined, {})).rejects.toThrow(
      'no AWS Region: pass --region R, set AWS_REGION, or set region in your AWS profile',
    );
  });

  it('names only AWS_REGION and the profile when --region picks records (hunt)', async () => {
    await expect(resolveRegion(undefined, {}, null)).rejects.toThrow(
      'no AWS Region: set AWS_REGION, or set region in your AWS profile (--region here picks records, not the Region to work in)',
    );
  });
});
