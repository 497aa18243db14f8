import type { CommandIo } from '../gateway/cli/pipeline-command.ts';
import { gatewayMain } from '../gateway/main.ts';

/** `sluice gateway --config FILE`: resolves 0 once serving; the server keeps the process alive. */
export function runGatewayCommand(argv: string[], io: CommandIo): Promise<number> {
  return gatewayMain(argv, io, 'sluice gateway');
}
