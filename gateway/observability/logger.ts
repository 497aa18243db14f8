import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Paths never written to logs. Request bodies are never logged at all; these
 * cover headers and config objects that may carry credentials.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'headers.authorization',
  '*.headers.authorization',
  '*.headers["proxy-authorization"]',
  'headers.cookie',
  '*.password',
  '*.sasl.password',
  '*.sasl.username',
  'sasl',
  '*.token',
];

export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      base: { service: 'sluice-gateway' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}
