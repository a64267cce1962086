import { describe, expect, it } from 'vitest';
import type { ObjectCheckRecord } from '../formats/object_check_json.js';
import { objectCheckSection } from './object_timeline.js';

const violation: ObjectCheckRecord = {
  object: 'racy_ring',
  operations: 4000,
  tasks: 8,
  verdict: 'violation',
  checkMs: 19,
  state: '[6000002,1000001]',
  folded: 5,
  ops: [
    { id: 1, thread: 6, op: 'enqueue', arg: 6000002, result: true, call: 0, ret: 29991185, context: true },
    { id: 2, thread: 1, op: 'enqueue', arg: 1000001, result: true, call: 3408080, ret: 31630384, context: true },
    { id: 3, thread: 3, op: 'dequeue', result: 0, call: 7130928, ret: 7188393, context: false },
    { id: 4, thread: 0, op: 'dequeue', call: 8000000, ret: null, context: false },
  ],
};

describe('objectCheckSection', () => {
  it('draws a violation as one row per task, the minimal calls red, context grey, a pending call to the edge', () => {
    const html = objectCheckSection(violation);
    expect(html).toContain('Linearizability: not linearizable');
    expect(html).toContain('Minimal non-linearizable history: 2 calls (red), from the state [6000002,1000001] that the 5 calls linearized before them leave');
    for (const t of [0, 1, 3, 6]) expect(html).toContain(`>task ${t}</text>`);
    expect(html.match(/stroke="#c62828"/g)).toHaveLength(2);
    expect(html.match(/stroke="#9e9e9e"/g)).toHaveLength(2);
    expect(html).toContain('dequeue() → 0');
    expect(html).toContain('dequeue() → pending');
    // The pending call's bar reaches the right edge (x + width = 890).
    const pending = /<rect x="([\d.]+)" y="8" width="([\d.]+)"[^>]*stroke="#c62828"/.exec(html);
    expect(pending).not.toBeNull();
    expect(Number(pending?.[1]) + Number(pending?.[2])).toBeCloseTo(890, 0);
  });

  it('says linearizable in one line, and nothing without a record', () => {
    expect(objectCheckSection({ object: 'locked_queue', operations: 4000, tasks: 8, verdict: 'linearizable', checkMs: 47 })).toBe(
      '<h3>Linearizability: linearizable</h3><p>4000 operations by 8 tasks on locked_queue (checked in 47 ms)</p>',
    );
    expect(objectCheckSection(null)).toBe('');
  });
});
