/** Domain value schemas shared by every part of the contract. Schema and type share a name. */
import { z } from 'zod';

export const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a UTC day as YYYY-MM-DD')
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), 'not a calendar day');
export type Day = z.infer<typeof Day>;

/** An EVM address, accepted in any case, always lower-cased. */
export const Address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 0x-prefixed 20-byte hex address')
  .transform((s) => s.toLowerCase());
export type Address = z.infer<typeof Address>;

/** Asset natural key: a ticker symbol for listed assets, or `chainId:address` for a bare token. */
export const AssetId = z
  .string()
  .min(1)
  .max(80)
  .regex(/^([A-Z0-9.\-_]+|\d+:0x[0-9a-f]{40})$/, 'expected a symbol (A-Z, 0-9) or chainId:0xaddress');
export type AssetId = z.infer<typeof AssetId>;

export const DataFamily = z.enum(['market', 'onchain', 'tvl', 'development', 'contracts']);
export type DataFamily = z.infer<typeof DataFamily>;

export const Page = z.object({
  limit: z.number().int().min(1).max(10_000).default(500),
  offset: z.number().int().min(0).default(0),
});

/** The input of a method that takes none: `{}` or nothing at all. */
export const Empty = z.object({}).strict().default({});

/** The answer of a cancel: false when nothing was running. */
export const Cancelled = z.object({ cancelled: z.boolean() });

/** Fields of one type: `{ a: T, b: T }` (counters, labels). */
export function fieldsOf<const K extends string, T extends z.ZodType>(type: T, keys: readonly K[]): { [P in K]: T } {
  return Object.fromEntries(keys.map((k) => [k, type])) as { [P in K]: T };
}

/** Measures of one type, each null when unknown: `{ a: T | null, b: T | null }` (daily metric rows). */
export function nullableFields<const K extends string, T extends z.ZodType>(type: T, keys: readonly K[]): { [P in K]: z.ZodNullable<T> } {
  return fieldsOf(type.nullable(), keys);
}
