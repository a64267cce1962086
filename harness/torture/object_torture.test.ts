// objecttorture through the command line: a bad object-ops module is bad input (one line, exit 2,
// before anything runs); the shipped correct queue passes and the shipped broken ring buffer
// (configs/object/BUSTED) fails with its minimal history printed in the console and drawn from
// object_history.json. The checker itself is tested on hand-made histories in
// harness/linearizability/check.test.ts.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ObjectCheckRecord } from '../formats/object_check_json.js';
import { runTorture, runTortureUntil, scenarioConsole } from '../test_support/run_until.js';
import { makeTestTempDir } from '../test_support/temp_dir.js';

const QUEUE_OPS = `operations: [{ name: 'enqueue', arg: (r) => r() % 100, call: () => true }, { name: 'dequeue', call: () => null }]`;
const BAD: ReadonlyArray<readonly [string, string, string]> = [
  ['no step', `export default { name: 'q', sharedBytes: 4, init() {}, ${QUEUE_OPS}, spec: { initial: [] } };`, "as 'spec.step' must be a function (state, op, arg) => [result, state]: current value is undefined"],
  ['no initial', `export default { name: 'q', sharedBytes: 4, init() {}, ${QUEUE_OPS}, spec: { step: (s) => [null, s] } };`, "as 'spec.initial' must be the initial state (any value a pure step reads): current value is undefined"],
  ['step returns a result only', `export default { name: 'q', sharedBytes: 4, init() {}, ${QUEUE_OPS}, spec: { initial: [], step: () => true } };`, "as 'spec.step(initial, 'enqueue', arg)' must be an array [result, state]: current value is boolean true"],
  ['a string result', `export default { name: 'q', sharedBytes: 4, init() {}, ${QUEUE_OPS}, spec: { initial: [], step: (s) => ['ok', s] } };`, "as 'spec.step(initial, 'enqueue', arg)[0]' must be a number, a boolean, null or undefined: current value is 'ok'"],
  ['no operations', `export default { name: 'q', sharedBytes: 4, init() {}, operations: [], spec: { initial: [], step: (s) => [null, s] } };`, "as 'operations' must be an array of 1 to 64 operations: current value is an array of 0"],
  ['a lock module', `export default { name: 'l', sharedBytes: 4, init() {}, writeLock() {}, writeUnlock() {} };`, "as 'operations' must be an array of 1 to 64 operations: current value is undefined"],
];

describe('objecttorture (--torture object)', () => {
  it('refuses a bad object-ops module in one line, exit 2, before anything runs', async () => {
    const dir = makeTestTempDir('object-ops');
    const runs = await Promise.all(
      BAD.map(([name, text]) => {
        const file = path.join(dir, `${name.replaceAll(' ', '_')}.mjs`);
        writeFileSync(file, text);
        return runTorture(['--torture', 'object', '--ops', file, '--duration', '5s']).then((r) => ({ r, file }));
      }),
    );
    runs.forEach(({ r, file }, i) => {
      const [, , expected] = BAD[i] ?? ['', '', ''];
      expect(r.code, r.out).toBe(2);
      expect(r.out.split('\n')[0]).toBe(`torture: Cannot use object ops module '${file}' ${expected}`);
      expect(existsSync(r.dir)).toBe(false);
    });
  });

  it('passes the correct queue and fails the broken ring buffer (BUSTED) with its minimal history', async () => {
    const [good, busted] = await Promise.all([
      runTorture(['--torture', 'object', '--configs', 'OBJ01', '--duration', '5s']),
      runTortureUntil(['--torture', 'object', '--configs', 'BUSTED'], (r) => scenarioConsole(r, 'BUSTED').includes('!!! not linearizable'), { fromSec: 5, capSec: 40 }),
    ]);
    expect(good.code, good.out).toBe(0);
    expect(scenarioConsole(good, 'OBJ01')).toMatch(/locked_queue-torture: linearizable: \d+ operations by 8 tasks/);
    expect(busted.code, busted.out).toBe(1);
    const text = scenarioConsole(busted, 'BUSTED');
    expect(text).toMatch(/racy_ring-torture: !!! not linearizable: \d+ operations by 8 tasks; minimal history: \d+ operations after \d+ \(state \[.*\]\)/);
    expect(text).toMatch(/racy_ring-torture: {3,}time us {2}task \d+/);
    expect(text).toContain('racy_ring-torture:--- End of test: FAILURE');
    const rec = JSON.parse(readFileSync(path.join(busted.dir, 'BUSTED', 'object_history.json'), 'utf8')) as ObjectCheckRecord;
    expect(rec.verdict).toBe('violation');
    expect((rec.ops ?? []).filter((o) => !o.context).length).toBeGreaterThan(0);
    expect(readFileSync(path.join(busted.dir, 'index.html'), 'utf8')).toContain('Linearizability: not linearizable');
  });
});
