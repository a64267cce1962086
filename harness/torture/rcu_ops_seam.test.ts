import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importSpecifiers } from '../test_support/boundary.js';
import { RCU_TORTURE_OPS } from '../../kernels/rcu/rcu_torture_ops.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

describe('rcutorture reaches RCU only through its ops', () => {
  it('no file of harness/torture/ imports an RCU implementation (a new flavour is one file plus one line in RCU_TORTURE_OPS)', () => {
    const offenders = readdirSync(HERE)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .flatMap((f) => importSpecifiers(readFileSync(path.join(HERE, f), 'utf8')).filter((s) => /kernels\/rcu\/(tree|tree_\w+|update)\.js$/.test(s)).map((s) => `${f}: ${s}`));
    expect(offenders).toEqual([]);
    for (const ops of Object.values(RCU_TORTURE_OPS)) {
      expect(typeof ops.init).toBe('function');
      expect(typeof ops.cond_resched_qs).toBe('function');
      expect(typeof ops.cb_migrate_stats).toBe('function');
    }
  });
});
