import type { Logger } from '@game/observability';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string | undefined;
  fields: Record<string, unknown>;
}

/** A logger that records every line, to assert on what was logged. */
export function recordingLogger(lines: LogLine[] = []): Logger & { lines: LogLine[] } {
  const make = (bindings: Record<string, unknown>): Logger => {
    const at =
      (level: LogLine['level']) =>
      (a: string | object, b?: string): void => {
        if (typeof a === 'string') lines.push({ level, msg: a, fields: { ...bindings } });
        else lines.push({ level, msg: b, fields: { ...bindings, ...(a as Record<string, unknown>) } });
      };
    return {
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return Object.assign(make({}), { lines });
}
