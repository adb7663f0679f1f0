/**
 * Other parts of the product add their contract methods independently; a view asks here whether
 * this build has a method before it calls it, and shows "not available in this build" otherwise.
 */
import { isMethodName, type MethodName } from '../../../shared/contract';

export function hasMethods(...names: string[]): boolean {
  return names.every((n) => isMethodName(n));
}

/** Narrows a method name known only at run time; callers check `hasMethods` first. */
export function methodName(name: string): MethodName {
  if (!isMethodName(name)) throw new Error(`method ${name} is not in this build`);
  return name;
}
