/*
 * Every locktorture parameter of the kernel's 6.12 (kernel/locking/locktorture.c: its
 * torture_param()s and module_param()s), as data: each is declared here, honoured or refused
 * (a refused one is bad input naming it: harness/config/boot_params.test.ts), and the honoured
 * ones are declared in the order of 6.12's lock_torture_print_module_parms(), which the
 * `Start of test` line follows.
 */

import { describe, expect, it } from 'vitest';
import { DECLARED_PARAMS } from '../config/boot_params.js';
import { cpulist_parse, cpumask_pr, locktorture_params } from './lock_torture.js';

/** 6.12's parameters in lock_torture_print_module_parms()'s order; torture_type (the line's prefix) last. */
const KERNEL_6_12 = [
  'acq_writer_lim',
  'bind_readers',
  'bind_writers',
  'call_rcu_chains',
  'long_hold',
  'nested_locks',
  'nreaders_stress',
  'nwriters_stress',
  'onoff_holdoff',
  'onoff_interval',
  'rt_boost',
  'rt_boost_factor',
  'shuffle_interval',
  'shutdown_secs',
  'stat_interval',
  'stutter',
  'verbose',
  'writer_fifo',
  'torture_type',
] as const;

/** Refused, with the reason the model lacks what they control (configs/lock/README.md). */
const REFUSED = ['call_rcu_chains'];

/**
 * Declared with the rtmutex_lock torture type (its rt_boost stress), by the branch that adds it;
 * the merge of that branch empties this list, and the test then holds them like the others.
 */
const WITH_RTMUTEX: readonly string[] = [];

/** Ours, not the kernel's: the `--ops` module of torture_type `user` (harness/torture/user_ops.ts). */
const OURS = ['ops_module'];

const declared = new Map(DECLARED_PARAMS.filter((d) => d.name.startsWith('locktorture.')).map((d) => [d.name.slice('locktorture.'.length), d]));

describe('locktorture parameters of 6.12', () => {
  it('every one is declared: honoured or refused', () => {
    const missing = KERNEL_6_12.filter((n) => !declared.has(n) && !WITH_RTMUTEX.includes(n));
    expect(missing).toEqual([]);
    for (const n of REFUSED) expect(declared.get(n)?.refused, n).toMatch(/./);
    for (const n of KERNEL_6_12.filter((x) => !REFUSED.includes(x) && declared.has(x))) expect(declared.get(n)?.refused, n).toBeUndefined();
  });

  it('nothing else is declared but ours', () => {
    expect([...declared.keys()].filter((n) => !(KERNEL_6_12 as readonly string[]).includes(n) && !OURS.includes(n))).toEqual([]);
  });

  it('the honoured ones are declared in the print order of lock_torture_print_module_parms()', () => {
    const honoured = locktorture_params.all.filter((d) => d.refused === undefined).map((d) => d.name.slice('locktorture.'.length));
    const kernelOrder = KERNEL_6_12.filter((n) => honoured.includes(n));
    expect(honoured).toEqual(kernelOrder);
  });

  it('parses and prints CPU lists as cpulist_parse() and %*pbl', () => {
    expect(cpulist_parse('0-2,5', 8)).toEqual([0, 1, 2, 5]);
    expect(cpulist_parse('3,1-1,6-9', 8)).toEqual([1, 3, 6, 7]);
    expect(cpulist_parse('', 4)).toEqual([]);
    expect(cpumask_pr([0, 1, 2, 5, 7, 8])).toBe('0-2,5,7-8');
    expect(cpumask_pr([3])).toBe('3');
    const bind = declared.get('bind_writers');
    expect(bind?.accepts('0-3,5')).toBe(true);
    expect(bind?.accepts('0-')).toBe(false);
    expect(bind?.accepts('all')).toBe(false);
  });
});
