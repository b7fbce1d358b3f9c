import { execSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { removeTemporaryDirs, synthesize, temporaryDir } from '../support/synth';
import { serializePolicy } from '../../lambda/core/policy';
import { parsePolicy } from '../../lambda/core/policy-file';
import { readPolicy } from '../../lambda/policy-loader';
import { ConfigError } from '../../lib/config';
import { writePolicyCommand } from '../../lib/constructs/detector-function';
import {
  PolicyFileError,
  POLICY_FILE_NAME,
  REPO_ROOT,
  resolvePolicyFile,
} from '../../lib/policy-file';

const REPO_CONFIG = join(REPO_ROOT, POLICY_FILE_NAME);

afterAll(removeTemporaryDirs);

/** Writes `content` (JSON unless it is already a string) to a fresh file and returns its path. */
function configFile(content: unknown): string {
  const file = join(temporaryDir('sgwatch-policy-'), 'sgwatch.config.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function exception(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    reason: 'a documented, expected call',
    owner: 'platform-team@example.com',
    expires: '2099-12-31',
    match: { accounts: ['444455556666'] },
    ...extra,
  };
}

describe('loading the configuration file at synth', () => {
  it('reads sgwatch.config.json from the repository root when no configFile is set', () => {
    const expected = parsePolicy(JSON.parse(readFileSync(REPO_CONFIG, 'utf8')));
    expect(synthesize({}).policy).toEqual(expected);
  });

  it.each([
    { name: 'the default file', configured: undefined, expected: REPO_CONFIG },
    {
      name: 'a relative path',
      configured: 'config/prod.json',
      expected: join(REPO_ROOT, 'config', 'prod.json'),
    },
    {
      name: 'an absolute path',
      configured: '/etc/sgwatch.json',
      expected: '/etc/sgwatch.json',
    },
  ])('finds $name without depending on the working directory', ({ configured, expected }) => {
    const cwd = process.cwd();
    process.chdir(temporaryDir());
    try {
      expect(resolvePolicyFile(configured)).toBe(expected);
    } finally {
      process.chdir(cwd);
    }
  });

  it('reads the file that the configFile context names', () => {
    const file = configFile({ iacRoles: ['arn:aws:iam::*:role/deployer'] });
    expect(synthesize({ configFile: file }).policy.iacRoles).toEqual([
      'arn:aws:iam::*:role/deployer',
    ]);
  });

  it.each([
    {
      name: 'throws naming the file and the entry when an exception is invalid',
      content: {
        exceptions: [exception('ok'), exception('terraform-pipeline', { expires: '2027-1-31' })],
      },
      message:
        /sgwatch\.config\.json: exceptions\[1\] \("terraform-pipeline"\)\.expires: must be a date YYYY-MM-DD, got "2027-1-31"/,
    },
    {
      name: 'throws naming the key when a criterion is misspelt',
      content: { exceptions: [exception('sandbox', { match: { acounts: ['444455556666'] } })] },
      message: /exceptions\[0\] \("sandbox"\)\.match\.acounts: unknown key/,
    },
    {
      name: 'throws naming the file when it is not JSON',
      content: '{ "exceptions": [',
      message: /sgwatch\.config\.json: is not valid JSON/,
    },
  ])('$name', ({ content, message }) => {
    const file = configFile(content);
    const synth = () => synthesize({ configFile: file });
    expect(synth).toThrow(PolicyFileError);
    expect(synth).toThrow(message);
  });

  it('throws naming the file when it does not exist', () => {
    const file = join(temporaryDir(), 'absent.json');
    expect(() => synthesize({ configFile: file })).toThrow(/absent\.json: cannot be read/);
  });

  it('throws a ConfigError when configFile is not a path', () => {
    expect(() => synthesize({ configFile: 42 })).toThrow(ConfigError);
  });
});

describe('expired exceptions at synth', () => {
  it('warns on the stack, listing each expired exception with its owner and expiry', () => {
    const file = configFile({
      exceptions: [
        exception('live'),
        exception('old-migration', { owner: 'billing-oncall@example.com', expires: '2024-03-31' }),
        exception('old-sandbox', { expires: '2025-01-15' }),
      ],
    });
    const { stack } = synthesize({ configFile: file });
    Annotations.fromStack(stack).hasWarning(
      '/Sgwatch',
      Match.stringLikeRegexp(
        '2 exception\\(s\\).*expired.*old-migration \\(owner billing-oncall@example\\.com, expired 2024-03-31\\); ' +
          'old-sandbox \\(owner platform-team@example\\.com, expired 2025-01-15\\).*sgwatch:expired-exceptions',
      ),
    );
    expect(
      Annotations.fromStack(stack).findWarning('/Sgwatch', Match.stringLikeRegexp('live')),
    ).toEqual([]);
  });

  it('does not warn when every exception is live', () => {
    const { stack } = synthesize({ configFile: configFile({ exceptions: [exception('live')] }) });
    Annotations.fromStack(stack).hasNoWarning('/Sgwatch', Match.stringLikeRegexp('expired'));
  });
});

describe('shipping the configuration to the detector', () => {
  it('tells the function where its bundled copy is', () => {
    const template = Template.fromStack(synthesize({}).stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SGWATCH_CONFIG_FILE: POLICY_FILE_NAME }) },
    });
  });

  it('writes text with quotes, dollars, backticks and newlines byte for byte through a shell', () => {
    const outputDir = join(temporaryDir(), 'asset output');
    mkdirSync(outputDir);
    const json = `{"reason": "it's \\"quoted\\" $HOME \`id\` !x\\n", "owner": "équipe 🛡"}\n`;
    execSync(writePolicyCommand(outputDir, json), { stdio: 'pipe' });
    expect(readFileSync(join(outputDir, POLICY_FILE_NAME), 'utf8')).toBe(json);
  });

  describe('a real bundling synth', () => {
    const file = configFile({
      accounts: { '111122223333': { name: 'payments-prod', environment: 'prod' } },
      exceptions: [exception('sandbox', { reason: 'it\'s "quoted" $HOME `id`' })],
    });
    const expected = serializePolicy(parsePolicy(JSON.parse(readFileSync(file, 'utf8'))));
    let assetDir: string;

    beforeAll(() => {
      const { app, stack } = synthesize({ configFile: file }, { bundle: true });
      const assembly = app.synth().directory;
      const template = Template.fromStack(stack);
      const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
      const objectKey = fn?.Properties.Code.S3Key as string;
      const manifest = JSON.parse(
        readFileSync(join(assembly, `${stack.artifactId}.assets.json`), 'utf8'),
      ) as {
        files: Record<
          string,
          { source: { path: string }; destinations: Record<string, { objectKey: string }> }
        >;
      };
      const asset = Object.values(manifest.files).find((entry) =>
        Object.values(entry.destinations).some((d) => d.objectKey === objectKey),
      );
      assetDir = join(assembly, asset?.source.path ?? 'no-asset-found');
    });

    it('puts the normalized configuration next to the handler in the bundle', () => {
      expect(readFileSync(join(assetDir, POLICY_FILE_NAME), 'utf8')).toBe(expected);
    });

    it('bundles a copy the detector reads back as the policy synth validated', () => {
      const policy = readPolicy({
        SGWATCH_CONFIG_FILE: POLICY_FILE_NAME,
        LAMBDA_TASK_ROOT: assetDir,
      });
      expect(serializePolicy(policy)).toBe(expected);
    });
  });
});
