#!/usr/bin/env node
// The installed entry point (dist/sgwatch.cjs): loads the CLI bundle beside it, and each
// command's bundle after it, with the V8 code caches the build wrote (see cli/code-cache.ts).
import { join } from 'node:path';
import { useCodeCaches } from '../cli/code-cache';

useCodeCaches(__dirname);
// Loaded by node at run time, not by the bundler: cli.cjs is a bundle of its own.
module.require(join(__dirname, 'cli.cjs'));
