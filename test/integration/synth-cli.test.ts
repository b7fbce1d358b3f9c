/**
 * `bin/app.ts` run as a process, the way the CDK CLI runs it: context in CDK_CONTEXT_JSON,
 * the assembly folder in CDK_OUTDIR. What a person sees when synth refuses their input.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../lib/policy-file';
import { removeTemporaryDirs, temporaryDir } from '../support/synth';

afterAll(removeTemporaryDirs);

interface SynthRun {
  readonly code: number | null;
  readonly stderr: string;
}

function runApp(context: Record<string, unknown>): Promise<SynthRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(REPO_ROOT, 'bin', 'app.ts')],
      {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          CDK_CONTEXT_JSON: JSON.stringify(context),
          CDK_OUTDIR: temporaryDir('sgwatch-synth-'),
        },
      },
      (error, _stdout, stderr) =>
        resolve({ code: error === null ? 0 : (error.code as number), stderr }),
    );
  });
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

describe('synth errors as the CDK CLI shows them', () => {
  it.each([
    {
      context: { emailMinSeverity: 'extreme' },
      message:
        'Error: Invalid CDK context "emailMinSeverity": expected one of low, medium, high, critical, got "extreme"',
    },
    {
      context: { regions: 'mars-1' },
      message: 'Error: Invalid CDK context "regions": "mars-1" is not a valid AWS Region name',
    },
    {
      context: { alertEmails: 'notanemail' },
      message:
        'Error: Invalid CDK context "alertEmails": "notanemail" is not a valid email address',
    },
  ])('fails with one line naming the key for $context', async ({ context, message }) => {
    // Act
    const run = await runApp(context);

    // Assess
    expect(run.code).toBe(1);
    expect(lines(run.stderr)).toEqual([message]);
  });

  it('fails with one line naming the file when the configuration file cannot be read', async () => {
    // Prepare
    const missing = join(temporaryDir('sgwatch-synth-'), 'missing.json');

    // Act
    const run = await runApp({ configFile: missing });

    // Assess
    expect(run.code).toBe(1);
    expect(lines(run.stderr)).toEqual([
      `Error: sgwatch configuration ${missing}: cannot be read (Error: ENOENT: no such file or directory, open '${missing}')`,
    ]);
  });

  it('fails with one line naming the file and the entry when the configuration file is invalid', async () => {
    // Prepare
    const file = join(temporaryDir('sgwatch-synth-'), 'sgwatch.config.json');
    writeFileSync(file, JSON.stringify({ accounts: { '123': { name: 'short' } } }));

    // Act
    const run = await runApp({ configFile: file });

    // Assess
    expect(run.code).toBe(1);
    const output = lines(run.stderr);
    expect(output).toHaveLength(1);
    expect(output[0]).toMatch(new RegExp(`^Error: sgwatch configuration ${file}: accounts`));
    expect(run.stderr).not.toMatch(/\bat \S+ \(/);
  });

  it('warns about a misspelt context key, naming the key it resembles', async () => {
    // Prepare: the bad severity stops synth right after the context is read.
    const context = { alertEmial: 'secops@example.com', emailMinSeverity: 'extreme' };

    // Act
    const run = await runApp(context);

    // Assess
    expect(lines(run.stderr)).toEqual([
      'Warning: unknown context key "alertEmial" is ignored; did you mean "alertEmails"?',
      'Error: Invalid CDK context "emailMinSeverity": expected one of low, medium, high, critical, got "extreme"',
    ]);
  });
});
