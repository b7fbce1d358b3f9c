// Test-wide environment: quiet the detector's per-alert log lines and the AWS SDK's
// Node.js-version notice, so a failing test's output is what shows. Tests that need
// either set it themselves.
process.env.LOG_LEVEL ??= 'silent';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// Every detector a test builds from the environment (lambda/main included) bounds its SDK
// calls far beyond any healthy request on a loaded machine: a timeout in a test must come
// from a fault the test injected (see test/support/held-timeouts.ts), never from the machine
// being busy. Tests of the bounds themselves set their own values.
process.env.SDK_REQUEST_TIMEOUT_MS ??= '120000';
process.env.SDK_CONNECTION_TIMEOUT_MS ??= '120000';
