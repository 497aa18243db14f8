import type { CommandIo } from '../gateway/cli/pipeline-command.ts';
import { operatorMain } from '../operator/main.ts';

/** `sluice operator`: resolves 0 once running; the watches keep the process alive. */
export function runOperatorCommand(argv: string[], io: CommandIo): Promise<number> {
  return operatorMain(argv, io, 'sluice operator');
}
