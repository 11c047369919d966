import { ConsoleLogger, type LogLevel } from '@nestjs/common';

const LEVELS_FROM: Record<string, LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  log: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  verbose: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

/**
 * Nest's console logger with every level on stderr: stdout belongs to what a
 * process is asked to print (the launcher prints the gateway address there),
 * never to diagnostics.
 */
export class StderrLogger extends ConsoleLogger {
  constructor(level: 'error' | 'warn' | 'log' | 'debug' | 'verbose') {
    super({ logLevels: LEVELS_FROM[level] });
  }

  protected override printMessages(
    messages: unknown[],
    context?: string,
    logLevel?: LogLevel,
    _writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
    params?: Record<string, unknown>,
  ): void {
    super.printMessages(messages, context, logLevel, 'stderr', errorStack, params);
  }
}
