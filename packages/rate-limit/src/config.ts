import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { RateLimitConfigError } from './errors.js';
import type { KeyFunction, PolicyDefinition, RateLimitConfig } from './types.js';

const keyField = z.enum(['player', 'room', 'connection', 'ip', 'messageType']);
const positive = z.number().finite().positive();
const nonNegative = z.number().finite().nonnegative();

const policySchema = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .regex(/^[^|]+$/, 'must not contain "|"'),
    key: z.union([
      keyField,
      z.array(keyField).min(1),
      z.custom<KeyFunction>(
        (v) => typeof v === 'function',
        'expected a key field, a list of key fields or a function',
      ),
    ]),
    keyClass: z.string().min(1).optional(),
    capacity: positive,
    refillPerSecond: positive.optional(),
    refill: z.strictObject({ tokens: positive, intervalMs: positive }).optional(),
    messageTypes: z.array(z.string().min(1)).min(1).optional(),
    exceptMessageTypes: z.array(z.string().min(1)).optional(),
    costs: z.record(z.string().min(1), nonNegative).optional(),
    defaultCost: nonNegative.optional(),
    block: z
      .strictObject({
        afterViolations: z.number().int().positive().optional(),
        withinMs: positive.optional(),
        durationMs: positive,
      })
      .optional(),
    shadow: z.boolean().optional(),
  })
  .superRefine((p, ctx) => {
    if ((p.refillPerSecond === undefined) === (p.refill === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: 'give exactly one of refillPerSecond and refill',
        path: ['refillPerSecond'],
      });
    }
    if (p.messageTypes && p.exceptMessageTypes) {
      ctx.addIssue({
        code: 'custom',
        message: 'give messageTypes or exceptMessageTypes, not both',
        path: ['exceptMessageTypes'],
      });
    }
    const tooDear = (cost: number, where: (string | number)[]) => {
      if (p.capacity > 0 && cost > p.capacity) {
        ctx.addIssue({
          code: 'custom',
          message: `cost ${cost} exceeds capacity ${p.capacity}: such a request could never pass`,
          path: where,
        });
      }
    };
    if (p.defaultCost !== undefined) tooDear(p.defaultCost, ['defaultCost']);
    else tooDear(1, ['capacity']);
    for (const [type, cost] of Object.entries(p.costs ?? {})) tooDear(cost, ['costs', type]);
  });

const configSchema = z
  .strictObject({
    shadow: z.boolean().optional(),
    policies: z.array(policySchema),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.policies.forEach((p, i) => {
      if (seen.has(p.name)) {
        ctx.addIssue({
          code: 'custom',
          message: `duplicate policy name "${p.name}"`,
          path: ['policies', i, 'name'],
        });
      }
      seen.add(p.name);
    });
  });

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

/** Validates a configuration object (from code or a parsed file); throws {@link RateLimitConfigError}. */
export function parseRateLimitConfig(value: unknown, source = 'code'): RateLimitConfig {
  const parsed = configSchema.safeParse(value);
  if (!parsed.success) {
    throw new RateLimitConfigError(
      source,
      parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`),
    );
  }
  return parsed.data;
}

/** Validates a list of policies; throws {@link RateLimitConfigError}. */
export function parsePolicies(
  policies: readonly PolicyDefinition[],
  source = 'code',
): readonly PolicyDefinition[] {
  return parseRateLimitConfig({ policies }, source).policies;
}

/** Parses config text: JSON for `.json` files, YAML (a superset of JSON) otherwise. */
export function parseRateLimitConfigText(text: string, source: string): RateLimitConfig {
  // Editors on Windows may start the file with a byte-order mark; JSON.parse refuses it.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let value: unknown;
  try {
    value = extname(source).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new RateLimitConfigError(
      source,
      [`not valid ${extname(source) === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message}`],
      {
        cause: err,
      },
    );
  }
  return parseRateLimitConfig(value, source);
}

/** Reads and validates a JSON or YAML limits file; throws {@link RateLimitConfigError} (also when unreadable). */
export async function loadRateLimitConfigFile(path: string): Promise<RateLimitConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new RateLimitConfigError(path, [`cannot read the file: ${(err as Error).message}`], { cause: err });
  }
  return parseRateLimitConfigText(text, path);
}
