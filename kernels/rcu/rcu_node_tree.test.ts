/* rcu_node tree geometry: TREE05 (8 CPUs, 6/6), exact fanout, TREE03's four levels, one CPU. */
import { describe, expect, it } from 'vitest';
import { rcu_dump_rcu_node_tree, rcu_init_geometry } from './rcu_node_tree.js';

describe('rcu_init_geometry()', () => {
  it('TREE05: 8 CPUs, fanout 6, leaf 6 -> a root and two balanced leaves', () => {
    const g = rcu_init_geometry(8, 6, 6, false);
    expect(g.numLevels).toBe(2);
    expect(g.levelCnt).toEqual([1, 2]);
    expect(g.nodes.map((n) => [n.level, n.grplo, n.grphi, n.grpnum, n.parent])).toEqual([
      [0, 0, 7, 0, -1],
      [1, 0, 3, 0, 0],
      [1, 4, 7, 1, 0],
    ]);
    expect(g.leafOfCpu).toEqual([1, 1, 1, 1, 2, 2, 2, 2]);
    expect(g.cpuGrpmask).toEqual([1, 2, 4, 8, 1, 2, 4, 8]);
    expect(rcu_dump_rcu_node_tree(g)).toEqual(['rcu: rcu_node tree layout dump', 'rcu:  0:7 ^0', 'rcu:  0:3 ^0 4:7 ^1']);
  });

  it('rcu_fanout_exact fills leaves to the configured fanout', () => {
    const g = rcu_init_geometry(8, 6, 6, true);
    expect(g.nodes.filter((n) => n.isLeaf).map((n) => [n.grplo, n.grphi])).toEqual([
      [0, 5],
      [6, 7],
    ]);
  });

  it('TREE03: 16 CPUs with fanout 2/2 need four levels', () => {
    const g = rcu_init_geometry(16, 2, 2, false);
    expect(g.numLevels).toBe(4);
    expect(g.levelCnt).toEqual([1, 2, 4, 8]);
    const leaves = g.nodes.filter((n) => n.isLeaf);
    expect(leaves).toHaveLength(8);
    expect(leaves.every((l) => l.grphi - l.grplo === 1)).toBe(true);
    for (const n of g.nodes) if (n.parent >= 0) expect(g.nodes[n.parent]?.level).toBe(n.level - 1);
  });

  it('one CPU: the root is the only leaf', () => {
    const g = rcu_init_geometry(1, 64, 16, false);
    expect(g.nodes).toHaveLength(1);
    expect(g.nodes[0]?.isLeaf).toBe(true);
    expect(g.leafOfCpu).toEqual([0]);
  });
});
