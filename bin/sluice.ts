#!/usr/bin/env node
import { runSluice } from '../cli/sluice-command.ts';

// The `sluice` command. Sets the exit status instead of exiting, so `gateway` and
// `operator` keep running on their servers after their start-up resolved.
process.exitCode = await runSluice(process.argv.slice(2), process);
