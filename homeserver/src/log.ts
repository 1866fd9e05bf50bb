/**
 * Structured JSON logging with pino. Log fields, not interpolated strings:
 * `log.info({ roomId, eventId }, 'event persisted')`.
 */
import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';

/** The logger type every part of the homeserver takes. */
export type Logger = PinoLogger;

/** Levels the config accepts, most to least verbose, plus `silent`. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  level: LogLevel;
  /** Where JSON lines go; stdout when absent. Tests pass a stream to capture them. */
  destination?: DestinationStream;
}

/** Creates the process's root logger; children add fields such as `component` or `reqId`. */
export function createLogger(options: LoggerOptions): Logger {
  const pinoOptions = {
    level: options.level,
    base: { name: 'parley' },
    // Never let secrets that ride on common field names reach the logs.
    redact: {
      paths: ['access_token', 'password', 'req.headers.authorization', '*.access_token', '*.password'],
      censor: '[redacted]',
    },
  };
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}

/** A logger that discards everything; for tests and tools that must not print. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
