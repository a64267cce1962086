/*
 * srcutree.* boot parameters (kernel/rcu/srcutree.c's module_param()s), declared beside the code
 * that reads them (srcu_tree_struct.ts, srcu_tree_gp.ts). Honoured: big_cpu_lim, convert_to_big
 * (0 never big, 1 big at init, 3 decide at boot from nr_cpu_ids), counter_wrap_check,
 * srcu_retry_check_delay, srcu_max_nodelay, srcu_max_nodelay_phase, exp_holdoff. Refused:
 * small_contention_lim and convert_to_big's contention bit (0x10) and torture mode (2): the model
 * does not grow an srcu_struct from small to big while it is in use. Tiny SRCU has no parameters.
 *
 * Planted bug (ours, named as the kernel's test_* switches): `srcutree.test_broken_flip=1` makes
 * the scan after srcu_flip() leave out the counters of the highest-numbered CPU, so a reader
 * that entered there is not waited for (configs/rcu/README.md, "SRCU").
 */

import { ModuleParams } from '../moduleparam.js';

export const srcutree_params = new ModuleParams('srcutree', ['rcu']);
export const big_cpu_lim = srcutree_params.param('int', 'big_cpu_lim', 128, 'Number of CPUs to trigger init_srcu_struct()-time transition to big', { min: 0 });
export const convert_to_big = srcutree_params.param('int', 'convert_to_big', 3, 'Convert to big: 0 never, 1 at init_srcu_struct(), 3 decide at boot', { values: ['0', '1', '3'] });
export const counter_wrap_check = srcutree_params.param('uint', 'counter_wrap_check', 0x3fffffff, 'Counter-wrap check mask: GPs whose number has none of these bits set refresh srcu_data');
export const srcu_retry_check_delay = srcutree_params.param('uint', 'srcu_retry_check_delay', 5, 'Microseconds between reader-count scans within one try');
export const srcu_max_nodelay = srcutree_params.param('uint', 'srcu_max_nodelay', 100, 'Maximum back-to-back no-delay reschedules of the SRCU work per jiffy');
export const srcu_max_nodelay_phase = srcutree_params.param('uint', 'srcu_max_nodelay_phase', 1000, 'Maximum no-delay scans per grace-period phase');
export const exp_holdoff = srcutree_params.param('uint', 'exp_holdoff', 25000, 'Holdoff (ns) for auto-expediting synchronize_srcu() on an idle srcu_struct');
srcutree_params.refuse('int', 'small_contention_lim', 'growing an srcu_struct to big on contention');
export const test_broken_flip = srcutree_params.param('bool', 'test_broken_flip', false, 'The post-flip reader scan leaves out the last CPU (planted bug)');
