#!/usr/bin/env node
import { main } from '../cli/main';
import { processIo } from '../cli/io';

// The AWS SDK warns on every start under Node 20 about its future Node 22 requirement;
// that is for us to act on, not the person running a command.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name !== 'NodeVersionSupportWarning')
    process.stderr.write(`${warning.name}: ${warning.message}\n`);
});

main(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`sgwatch: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
