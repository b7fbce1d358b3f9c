/**
 * How the detector is bundled, shared by the CDK construct and the bench so the bench
 * measures what gets deployed. ESM with `module` entry points first gives the smallest,
 * fastest-loading bundle of the AWS SDK.
 */
export const DETECTOR_BUNDLING = {
  target: 'node22',
  minify: true,
  mainFields: ['module', 'main'],
  /**
   * Credential providers the SDK imports lazily, only when the environment has no
   * credentials. Lambda always provides them in the environment, so these are never
   * loaded there; leaving them out of the bundle (the runtime carries its own copy, should
   * one ever be needed) saves about a quarter of its size and of its load time.
   */
  lazyExternals: [
    '@aws-sdk/credential-provider-http',
    '@aws-sdk/credential-provider-ini',
    '@aws-sdk/credential-provider-login',
    '@aws-sdk/credential-provider-process',
    '@aws-sdk/credential-provider-sso',
    '@aws-sdk/credential-provider-web-identity',
    '@aws-sdk/nested-clients',
    '@aws-sdk/token-providers',
    // The EC2 client, for the optional attachment lookup only (lookups=true), imported on
    // first use. Bundled it would triple the detector's size and cold-start load for every
    // deployment; the Node.js 22 runtime's own AWS SDK supplies it where it is used.
    '@aws-sdk/client-ec2',
    // The Organizations client, for the optional lookup of member accounts (lookups=true).
    '@aws-sdk/client-organizations',
    // The Security Hub client, for the optional findings sink only (securityHub=true), loaded
    // on first import for the same reason: about 200 KB more for every cold start otherwise.
    '@aws-sdk/client-securityhub',
  ],
  // Bundled CommonJS dependencies (parts of the SDK) call require(); ESM has none built in.
  banner:
    "import { createRequire as sgwatchCreateRequire } from 'node:module'; const require = sgwatchCreateRequire(import.meta.url);",
} as const;
