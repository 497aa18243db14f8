import { runPipelineCommand } from './pipeline-command.ts';

// `npm run pipeline -- --config FILE --repo NAME < sample.jsonl`: the dry run.
process.exitCode = await runPipelineCommand(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
});
