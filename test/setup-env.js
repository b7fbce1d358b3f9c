// Test-wide environment: quiet the detector's per-alert log lines and the AWS SDK's
// Node.js-version notice, so a failing test's output is what shows. Tests that need
// either set it themselves.
process.env.LOG_LEVEL ??= 'silent';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
