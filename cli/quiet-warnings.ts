// Imported first by the CLI entry, before any module that loads the AWS SDK. The SDK warns
// on every start under Node.js 20 about its future Node.js 22 requirement; that notice is
// for sgwatch's maintainers, not for the person running a command. The SDK's own switch
// turns it off; every other warning still shows.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export {};
