import type { z } from 'zod';

/** One contract entry: a method's input and output schemas and what it does. */
export interface MethodDef<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly input: I;
  readonly output: O;
  readonly description: string;
  /** Long work: the server and IPC allow it more time, the UI shows progress. */
  readonly long?: boolean;
}

export function method<I extends z.ZodType, O extends z.ZodType>(def: MethodDef<I, O>): MethodDef<I, O> {
  return def;
}

export type MethodMap = Record<string, MethodDef>;
