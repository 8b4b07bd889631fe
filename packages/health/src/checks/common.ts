import type { CheckDefinition } from '../types.js';

/** The settings every built-in check accepts (see {@link CheckDefinition}). */
export type BuiltinCheckOptions = Partial<Pick<CheckDefinition, 'name' | 'critical' | 'timeoutMs' | 'cacheMs'>>;

export function base(options: BuiltinCheckOptions, defaults: { name: string; critical: boolean; componentType: string }) {
  return {
    name: options.name ?? defaults.name,
    critical: options.critical ?? defaults.critical,
    componentType: defaults.componentType,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.cacheMs === undefined ? {} : { cacheMs: options.cacheMs }),
  };
}
