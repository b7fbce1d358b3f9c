#!/usr/bin/env node
import '../cli/quiet-warnings';
import { boundHeapGrowth } from '../cli/heap-growth';
import { processIo } from '../cli/io';
import { main } from '../cli/main';

// A process of its own: what the heap may hold is this process's business, not a test's.
boundHeapGrowth(process.env);
main(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`sgwatch: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
