/**
 * How the detector is bundled, shared by the CDK construct and the bench so the bench
 * measures what gets deployed. ESM with `module` entry points first gives the smallest,
 * fastest-loading bundle of the AWS SDK.
 */
export const DETECTOR_BUNDLING = {
  target: 'node22',
  minify: true,
  mainFields: ['module', 'main'],
  // Bundled CommonJS dependencies (parts of the SDK) call require(); ESM has none built in.
  banner:
    "import { createRequire as sgwatchCreateRequire } from 'node:module'; const require = sgwatchCreateRequire(import.meta.url);",
} as const;
