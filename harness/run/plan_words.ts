/*
 * The words of a run plan that the command line checks before any plan is built: the --dryrun
 * kinds and the boot parameter that carries the seed. Their own module so that checking a
 * command line loads nothing of the planner (harness/commands/README.md, start-up).
 */

export const DRYRUN_KINDS = ['batches', 'scenarios', 'sched'] as const;
export type DryrunKind = (typeof DRYRUN_KINDS)[number];

/** The boot parameter that carries the seed to every random stream of a guest. */
export const SEED_PARAM = 'torture.random_seed';
