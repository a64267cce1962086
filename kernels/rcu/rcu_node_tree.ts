/*
 * The shape of the rcu_node tree (kernel/rcu/tree.c rcu_init_geometry(), rcu_init_levelspread()
 * and the node loop of rcu_init_one()): how many levels, how many nodes per level, which CPUs each
 * leaf covers and which bit each node owns in its parent's masks.
 *
 * Pure computation from CONFIG_RCU_FANOUT, CONFIG_RCU_FANOUT_LEAF (or rcutree.rcu_fanout_leaf),
 * rcutree.rcu_fanout_exact and the CPU count. Nodes are numbered breadth first from the root, as
 * the kernel's rcu_state.node[] array is, so node 0 is the root and leaves come last. With the
 * default (non-exact) spread, CPUs are balanced over the leaves: 8 CPUs on two leaves of fanout 6
 * give CPUs 0-3 and 4-7, as on a real TREE05 kernel.
 */

export const RCU_NUM_LVLS_MAX = 4;

export interface RcuNodeShape {
  /** Index in breadth-first order (rcu_state.node[]). */
  readonly idx: number;
  /** 0 for the root. */
  readonly level: number;
  readonly grplo: number;
  readonly grphi: number;
  /** Bit number in the parent's masks (0 for the root). */
  readonly grpnum: number;
  readonly grpmask: number;
  /** Parent index, -1 for the root. */
  readonly parent: number;
  readonly isLeaf: boolean;
}

export interface RcuGeometry {
  readonly nrCpus: number;
  readonly numLevels: number;
  /** Nodes per level, root first. */
  readonly levelCnt: readonly number[];
  /** Children per node at each level (leaf level: CPUs per leaf). */
  readonly levelSpread: readonly number[];
  readonly nodes: readonly RcuNodeShape[];
  /** Leaf node index of each CPU. */
  readonly leafOfCpu: readonly number[];
  /** Bit of each CPU in its leaf's masks. */
  readonly cpuGrpmask: readonly number[];
}

/** rcu_init_geometry() + rcu_init_one(): the node tree for `nrCpus` CPUs. */
export function rcu_init_geometry(nrCpus: number, fanout: number, fanoutLeaf: number, fanoutExact: boolean): RcuGeometry {
  if (nrCpus < 1) throw new RangeError(`rcu_init_geometry: nrCpus must be >= 1, got ${nrCpus}`);
  if (fanout < 2 || fanoutLeaf < 2 || fanoutLeaf > 32) {
    throw new RangeError(`rcu_init_geometry: fanout ${fanout} / leaf ${fanoutLeaf} out of range`);
  }
  const capacity: number[] = [fanoutLeaf];
  for (let i = 1; i < RCU_NUM_LVLS_MAX; i++) capacity.push((capacity[i - 1] as number) * fanout);
  let numLevels = 0;
  while (numLevels < RCU_NUM_LVLS_MAX && (capacity[numLevels] as number) < nrCpus) numLevels++;
  numLevels++;
  if (numLevels > RCU_NUM_LVLS_MAX) throw new RangeError(`rcu_init_geometry: ${nrCpus} CPUs need more than ${RCU_NUM_LVLS_MAX} levels`);
  const levelCnt: number[] = [];
  for (let i = 0; i < numLevels; i++) levelCnt.push(Math.ceil(nrCpus / (capacity[numLevels - i - 1] as number)));
  // rcu_init_levelspread(): from the leaves up, each level spreads its children evenly (or
  // exactly at the configured fanout with rcu_fanout_exact).
  const levelSpread: number[] = new Array<number>(numLevels).fill(0);
  if (fanoutExact) {
    levelSpread[numLevels - 1] = fanoutLeaf;
    for (let i = numLevels - 2; i >= 0; i--) levelSpread[i] = fanout;
  } else {
    let cprv = nrCpus;
    for (let i = numLevels - 1; i >= 0; i--) {
      const ccur = levelCnt[i] as number;
      levelSpread[i] = Math.ceil(cprv / ccur);
      cprv = ccur;
    }
  }
  const levelStart: number[] = [];
  let n = 0;
  for (let i = 0; i < numLevels; i++) {
    levelStart.push(n);
    n += levelCnt[i] as number;
  }
  const nodes: RcuNodeShape[] = new Array<RcuNodeShape>(n);
  let cpustride = 1;
  for (let i = numLevels - 1; i >= 0; i--) {
    cpustride *= levelSpread[i] as number;
    for (let j = 0; j < (levelCnt[i] as number); j++) {
      const idx = (levelStart[i] as number) + j;
      const grplo = j * cpustride;
      const grphi = Math.min((j + 1) * cpustride - 1, nrCpus - 1);
      const up = i === 0 ? 0 : (levelSpread[i - 1] as number);
      nodes[idx] = {
        idx,
        level: i,
        grplo,
        grphi,
        grpnum: i === 0 ? 0 : j % up,
        grpmask: i === 0 ? 0 : 1 << j % up,
        parent: i === 0 ? -1 : (levelStart[i - 1] as number) + Math.floor(j / up),
        isLeaf: i === numLevels - 1,
      };
    }
  }
  const leafOfCpu: number[] = [];
  const cpuGrpmask: number[] = [];
  const firstLeaf = levelStart[numLevels - 1] as number;
  for (let cpu = 0; cpu < nrCpus; cpu++) {
    let leaf = firstLeaf;
    while (leaf + 1 < n && (nodes[leaf + 1] as RcuNodeShape).grplo <= cpu) leaf++;
    leafOfCpu.push(leaf);
    cpuGrpmask.push(1 << (cpu - (nodes[leaf] as RcuNodeShape).grplo));
  }
  return { nrCpus, numLevels, levelCnt, levelSpread, nodes, leafOfCpu, cpuGrpmask };
}

/** rcu_dump_rcu_node_tree(): `grplo:grphi ^grpnum` per node, one line per level. */
export function rcu_dump_rcu_node_tree(g: RcuGeometry): string[] {
  const lines = ['rcu: rcu_node tree layout dump'];
  let level = -1;
  let line = '';
  for (const rnp of g.nodes) {
    if (rnp.level !== level) {
      if (line !== '') lines.push(line);
      line = 'rcu: ';
      level = rnp.level;
    }
    line += ` ${rnp.grplo}:${rnp.grphi} ^${rnp.grpnum}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}
