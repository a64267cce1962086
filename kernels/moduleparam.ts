/*
 * module_param() (include/linux/moduleparam.h, kernel/params.c): the one way kernel and torture
 * code declares and reads a boot parameter (`rcutorture.nreaders=7`, `slub.debug_key_under_slab_mutex=1`).
 *
 * A parameter is DECLARED once, at module scope beside the code that reads it, as the kernel's
 * module_param()/torture_param() sits beside its variable: name, type, default, the suites it
 * means something in, and (for the ones the model lacks) why it is refused. The declaration is
 * also the only reader (`.get()` on a CPU thread, `.from(params)` where there is no kapi yet), so
 * the driver's registry (harness/config/boot_params.ts), which collects the declarations, accepts
 * exactly what the guest will read: both go through accepts() below.
 *
 * A parameter is read when its module boots (kapi.config exists only on a CPU thread, never at
 * module load: the driver imports these modules for their declarations). Types and their rules
 * are the kernel's:
 *   - `int`:  kstrtoint(val, 0) (decimal, 0x-hex, 0-octal);
 *   - `uint`: kstrtouint(val, 0);
 *   - `bool`: param_set_bool(): a bare `name` means true, else kstrtobool (y/Y/1/n/N/0, on/off);
 *   - `charp`: the string as given.
 * A declaration may narrow its type (a range, a list of values). A value that fails keeps the
 * default, as the kernel does after its "invalid for parameter" message; the driver never lets
 * such a value through, so only programmatic guests can meet it.
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

type BootParams = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

/** What a declaration adds to its type's rule, and to whom it applies. */
export interface ParamRule {
  /** Inclusive bounds of an int/uint. */
  readonly min?: number;
  readonly max?: number;
  /** A whole-value pattern a charp must match. */
  readonly pattern?: RegExp;
  /**
   * The only values accepted, as written (`rcu busted`). For a charp this is the module's own
   * check at init (rcutorture's "invalid torture type"), which the driver makes up front: the
   * guest reads the string as given, as the kernel's param_set_charp() does.
   */
  readonly values?: readonly string[];
  /** For error messages when the rule above is not enough said by the type ("a CPU list"). */
  readonly expect?: string;
  /** Not named in the module's parameter print line (torture's `Start of test`), as the kernel's. */
  readonly quiet?: boolean;
  /** Suites this one parameter is limited to, when narrower than its module's. */
  readonly suites?: readonly string[];
}

export interface ParamDecl {
  /** `module.param` (or a bare kernel parameter such as `maxcpus`). */
  readonly name: string;
  readonly type: ParamType;
  readonly dflt: ParamValues[ParamType];
  /** Suites the parameter means something in (harness/suites/ names); undefined: every suite. */
  readonly suites: readonly string[] | undefined;
  readonly desc: string;
  /** Set when the model lacks what the parameter controls: setting it is bad input, saying this. */
  readonly refused: string | undefined;
  /** Whether `value` is acceptable (the type's kstrto* rule, then the declaration's). */
  accepts(value: string): boolean;
  /** What a good value looks like ("an integer", "0, 1, y or n", "one of rcu busted"). */
  readonly expect: string;
}

/** A declared parameter that the model reads. */
export interface ModuleParam<T extends ParamType> extends ParamDecl {
  readonly type: T;
  readonly dflt: ParamValues[T];
  /**
   * The value on this guest's boot line, else the default (a CPU thread only). `dflt` replaces
   * the declared default where the kernel computes it (from Kconfig: rcutree.rcu_fanout_leaf).
   */
  get(dflt?: ParamValues[T]): ParamValues[T];
  /** The value in a boot-parameter map (for readers that run before kapi exists). */
  from(params: BootParams, dflt?: ParamValues[T]): ParamValues[T];
}

const TYPE_EXPECT: { readonly [K in ParamType]: string } = {
  int: 'an integer',
  uint: 'an integer >= 0',
  bool: '0, 1, y or n',
  charp: 'a string',
};

function expectOf(type: ParamType, r: ParamRule): string {
  if (r.expect !== undefined) return r.expect;
  if (r.values !== undefined) return `one of ${r.values.join(' ')}`;
  if (r.min !== undefined && r.max !== undefined) return `an integer from ${r.min} to ${r.max}`;
  if (r.min !== undefined) return `an integer >= ${r.min}`;
  return TYPE_EXPECT[type];
}

function parseWith<T extends ParamType>(type: T, r: ParamRule, val: string): ParamValues[T] | undefined {
  if ((r.values !== undefined && !r.values.includes(val)) || (r.pattern !== undefined && !r.pattern.test(val))) return undefined;
  const v = param_parse(type, val);
  if (typeof v === 'number' && ((r.min !== undefined && v < r.min) || (r.max !== undefined && v > r.max))) return undefined;
  return v;
}

/**
 * The parameters of one module (`rcutorture`, `rcutree`; '' for the kernel's bare parameters such
 * as `maxcpus`), declared through it. `all` is what the driver's registry collects.
 */
export class ModuleParams {
  readonly #prefix: string;
  readonly #suites: readonly string[] | undefined;
  readonly #all: ParamDecl[] = [];
  /** The read parameters the print line names: name without the prefix, and the reader. */
  readonly #printed: (readonly [string, () => number | boolean | string])[] = [];

  constructor(module: string, suites?: readonly string[]) {
    this.#prefix = module === '' ? '' : `${module}.`;
    this.#suites = suites;
  }

  get all(): readonly ParamDecl[] {
    return this.#all;
  }

  /** module_param(name, type, perm) with its initial value; `rule` narrows the type. */
  param<T extends ParamType>(type: T, name: string, dflt: ParamValues[T], desc: string, rule: ParamRule = {}): ModuleParam<T> {
    const full = `${this.#prefix}${name}`;
    const from = (params: BootParams, d: ParamValues[T] = dflt): ParamValues[T] => {
      const v = params instanceof Map ? params.get(full) : (params as Readonly<Record<string, string>>)[full];
      if (v === undefined) return d;
      return (type === 'charp' ? parseWith(type, { ...rule, values: undefined }, v) : parseWith(type, rule, v)) ?? d;
    };
    const decl: ModuleParam<T> = {
      name: full,
      type,
      dflt,
      suites: rule.suites ?? this.#suites,
      desc,
      refused: undefined,
      accepts: (v) => parseWith(type, rule, v) !== undefined,
      expect: expectOf(type, rule),
      get: (d) => from(kapi.config.bootParams, d),
      from,
    };
    this.#all.push(decl);
    if (rule.quiet !== true) this.#printed.push([name, decl.get]);
    return decl;
  }

  /**
   * `name=value ...` for the print line: the declared, non-quiet parameters in declaration order
   * (bool as the kernel's %d: 0/1); `shown` gives the values the module computed (nreaders=-1
   * prints the real reader count; a cpumask prints as `%*pbl`). Refused parameters are not in effect, so not printed.
   */
  print_words(shown: Readonly<Record<string, number | string>> = {}): string {
    return this.#printed
      .map(([name, get]) => {
        const v = shown[name] ?? get();
        return `${name}=${typeof v === 'boolean' ? (v ? 1 : 0) : v}`;
      })
      .join(' ');
  }

  /**
   * A parameter the kernel has and this model does not: declared (so that the driver knows the
   * name and says why) and never read. `why` completes "not modelled by this kernel".
   */
  refuse(type: ParamType, name: string, why: string): void {
    this.#all.push({
      name: `${this.#prefix}${name}`,
      type,
      dflt: param_parse(type, '0') ?? '',
      suites: this.#suites,
      desc: why,
      refused: why,
      accepts: () => false,
      expect: 'unset',
    });
  }
}

/**
 * An undeclared read of `name`, for the guests of tests and benchmarks (test_support/, bench/),
 * whose parameters the driver never accepts. Kernel and torture code declares through
 * ModuleParams instead (harness/config/boot_params.test.ts holds it to that).
 */
export function module_param<T extends ParamType>(name: string, type: T, dflt: ParamValues[T]): ParamValues[T] {
  const v = kapi.config.bootParams.get(name);
  if (v === undefined) return dflt;
  return param_parse(type, v) ?? dflt;
}
