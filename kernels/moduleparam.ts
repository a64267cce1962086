/*
 * module_param() (include/linux/moduleparam.h, kernel/params.c): the one way kernel and torture
 * code reads a boot parameter (`rcutorture.nreaders=7`, `slub.debug_key_under_slab_mutex=1`).
 *
 * A parameter is read when its module boots (kapi.config exists only on a CPU thread, never at
 * module load: the driver imports some of these modules for their tables). Types and their rules
 * are the kernel's:
 *   - `int`:  kstrtoint(val, 0) (decimal, 0x-hex, 0-octal);
 *   - `uint`: kstrtouint(val, 0);
 *   - `bool`: param_set_bool(): a bare `name` means true, else kstrtobool (y/Y/1/n/N/0, on/off);
 *   - `charp`: the string as given.
 * A value the type rejects keeps the default, as the kernel does after its "invalid for parameter"
 * message. The driver never lets such a value through (harness/config/known_options.ts checks
 * every boot word with the same kstrto* functions), so only programmatic guests can meet it.
 */

import { kapi } from '../harness/kapi.js';
import { kstrtobool, kstrtoint, kstrtouint } from './lib/kstrtox.js';

interface ParamValues {
  int: number;
  uint: number;
  bool: boolean;
  charp: string;
}
export type ParamType = keyof ParamValues;

/** Parse `val` as a parameter of `type`; undefined when the kernel would reject it. */
export function param_parse<T extends ParamType>(type: T, val: string): ParamValues[T] | undefined {
  const parsers: { [K in ParamType]: (v: string) => ParamValues[K] | undefined } = {
    int: kstrtoint,
    uint: kstrtouint,
    bool: (v) => (v === '' ? true : kstrtobool(v)),
    charp: (v) => v,
  };
  return parsers[type](val);
}

/** The value of boot parameter `name` (`module.param`) as `type`, or `dflt` when unset or invalid. */
export function module_param<T extends ParamType>(name: string, type: T, dflt: ParamValues[T]): ParamValues[T] {
  const v = kapi.config.bootParams.get(name);
  if (v === undefined) return dflt;
  return param_parse(type, v) ?? dflt;
}
