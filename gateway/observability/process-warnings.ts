import type { Logger } from 'pino';

/**
 * Sends Node process warnings to the structured log instead of raw stderr,
 * and drops one known false alarm: kafkajs starts its request throttle at
 * -1 ms, which Node 24 reports as a TimeoutNegativeWarning on every client.
 */
export function routeProcessWarnings(logger: Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'TimeoutNegativeWarning') return;
    logger.warn({ warning: { name: warning.name, message: warning.message } }, 'process warning');
  });
}
