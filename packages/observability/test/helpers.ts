import { createLogger, type CreateLoggerOptions } from '../src/index.js';

/** A logger writing into an array of parsed JSON lines (raw text kept to check validity). */
export function capture(options: CreateLoggerOptions = {}) {
  const raw: string[] = [];
  const logger = createLogger({
    ...options,
    destination: {
      write(line: string) {
        raw.push(line);
      },
    },
  });
  const lines = () => raw.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, raw, lines };
}
