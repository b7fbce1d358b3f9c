#!/usr/bin/env node
import '../cli/quiet-warnings';
import { processIo } from '../cli/io';
import { main } from '../cli/main';

main(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`sgwatch: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
