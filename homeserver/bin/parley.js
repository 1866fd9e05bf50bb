#!/usr/bin/env node
// The `parley` executable: runs the TypeScript CLI through tsx's loader, in this same process (so signals
// reach the server directly and the exit code is the server's own).
import process from 'node:process';
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli.ts');
const exitCode = await runCli(process.argv.slice(2));
if (exitCode !== 0) process.exit(exitCode);
