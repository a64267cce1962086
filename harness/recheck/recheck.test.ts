import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { formatG } from '../formats/awk_number.js';
import { REPORT_WRITERS } from '../report/report_writers.js';
import { parseConsole } from './parse_console.js';
import { recheckMain, recheckResults } from './recheck.js';
import type { ScenarioSummary } from '../formats/summary_json.js';
import { makeTestTempDir } from '../test_support/temp_dir.js';
import { coverageBlockLines } from '../formats/coverage_block.js';
import { COVERAGE_SLOTS } from '../formats/coverage_points.js';

const T = (s: number, msg: string): string => `[${s.toFixed(6).padStart(12, ' ')}] ${msg}`;

const RCU_OK = [
  T(0, 'Linux version 0.1.0-torture'),
  T(0.1, 'rcu-torture:--- Start of test: nreaders=7 nfakewriters=4 stat_interval=2 shutdown_secs=10'),
  T(0.1, 'rcu:  Start-test grace-period state: g0 f0x0'),
  T(2, 'rcu-torture: rtc: 00000000a1b2c3d4 ver: 100 tfle: 0 rta: 101 rtaf: 0 rtf: 90 rtmbe: 0 rtmbkf: 0/0 rtbe: 0 rtbke: 0 rtbf: 0 rtb: 0 nt: 10 onoff: 1/1:2/2 3,5:2,4 5:7 (HZ=1000) barrier: 1/1:0 read-exits: 0 nocb-toggles: 0:0'),
  T(2, 'rcu-torture: Reader Pipe:  1000 10 0 0 0 0 0 0 0 0 0'),
  T(2, 'rcu-torture: Reader Batch:  1000 10 0 0 0 0 0 0 0 0 0'),
  T(4, 'rcu-torture: rtc: 00000000a1b2c3d5 ver: 250 tfle: 0 rta: 251 rtaf: 0 rtf: 240 onoff: 3/3:4/4 3,5:2,4 9:12 (HZ=1000)'),
  T(10, 'rcu:  End-test grace-period state: g1200 f0x0 total-gps=300'),
  T(10, 'rcu-torture: rtc: (null) VER: 300 tfle: 0 onoff: 5/5:6/6 3,5:2,4 12:15 (HZ=1000)'),
  T(10, 'rcu-torture:--- End of test: SUCCESS: nreaders=7 nfakewriters=4 stat_interval=2 shutdown_secs=10'),
  T(10.1, 'reboot: Power down'),
];

const LOCKDEP_SPLAT = [
  T(5, ''),
  T(5, '======================================================'),
  T(5, 'WARNING: possible circular locking dependency detected'),
  T(5, '0.1.0-torture #1 Not tainted'),
  T(5, '------------------------------------------------------'),
  T(5, 'rcu_torture_sta/42 is trying to acquire lock:'),
  T(5, 'Call Trace:'),
];

const SPEC = (name: string, suite: 'rcu' | 'lock', secs: number) => ({
  scenario: name,
  suite,
  resdir: '/x',
  kconfig: {},
  bootParams: { [`${suite === 'rcu' ? 'rcutorture' : 'locktorture'}.shutdown_secs`]: String(secs) },
  bootLine: '',
  nrCpus: 8,
  durationSec: secs,
  shutdownGraceSec: 15,
});

interface Fixture {
  /** Boot parameters and Kconfig beside the shutdown_secs SPEC gives. */
  spec?: { bootParams?: Record<string, string>; kconfig?: Record<string, string> };
  console?: string[];
  retval?: number;
  result?: { seconds: number; problems?: string[] };
  suite?: 'rcu' | 'lock';
  files?: Record<string, string>;
}

function resultsDir(scenarios: Record<string, Fixture>): string {
  const dir = makeTestTempDir('recheck');
  writeFileSync(path.join(dir, 'log'), 'torture --configs TREE05 --duration 10s\n----Start batch 1: x\n');
  for (const [name, f] of Object.entries(scenarios)) {
    const d = path.join(dir, name);
    mkdirSync(d);
    const spec = SPEC(name, f.suite ?? 'rcu', 10);
    writeFileSync(path.join(d, 'guest-spec.json'), JSON.stringify({ ...spec, bootParams: { ...spec.bootParams, ...f.spec?.bootParams }, kconfig: f.spec?.kconfig ?? {} }));
    if (f.console !== undefined) writeFileSync(path.join(d, 'console.log'), f.console.join('\n') + '\n');
    if (f.retval !== undefined) writeFileSync(path.join(d, 'guest-retval'), `${f.retval}\n`);
    if (f.result !== undefined) {
      writeFileSync(path.join(d, 'guest-result.json'), JSON.stringify({ scenario: name, end: 'poweroff', problems: [], ...f.result }));
    }
    for (const [file, text] of Object.entries(f.files ?? {})) writeFileSync(path.join(d, file), text);
  }
  return dir;
}

function summaryOf(dir: string, name: string): ScenarioSummary {
  return JSON.parse(readFileSync(path.join(dir, name, 'summary.json'), 'utf8')) as ScenarioSummary;
}

describe('formatG()', () => {
  it('prints like awk %.6g', () => {
    expect([58.25981, 30, 1383112.8, 0.5, 1 / 3, 1e-5].map(formatG)).toEqual(['58.2598', '30', '1.38311e+06', '0.5', '0.333333', '1e-05']);
    // An exact tie rounds to even, as awk's printf (kvm-recheck-lock.sh printed 100724 for 1007245/10).
    expect([100724.5, 100725.5, -100725.5, 100724.75].map(formatG)).toEqual(['100724', '100726', '-100726', '100725']);
  });
});

describe('parseConsole()', () => {
  it('finds nothing wrong in a clean rcutorture console', () => {
    const f = parseConsole(RCU_OK.join('\n'), 'c.log', 'TREE05');
    expect(f.lines).toEqual([]);
    expect(f.reasons).toEqual([]);
    expect(f).toMatchObject({ endOfTest: 'SUCCESS', lastVer: 250, gpStopState: '[rcu: g1200 f0x0 total-gps=300]' });
    expect(f.hotplug).toEqual({ onlineOk: 5, onlineTry: 5, offlineOk: 6, offlineTry: 6 });
  });

  it('keeps awk\'s empty $7 in the stop state of a kernel without total-gps= (kvm-recheck-rcu.sh)', () => {
    const f = parseConsole(T(9, 'rcu:  End-test grace-period state: g2257741 f0x2'), 'c.log', 'TREE05');
    expect(f.gpStopState).toBe('[rcu: g2257741 f0x2 ]');
  });

  it('reports a GP hang when ver stops advancing', () => {
    const stuck = [...RCU_OK.slice(0, 7), RCU_OK[6] ?? '', ...RCU_OK.slice(7)];
    const f = parseConsole(stuck.join('\n'), 'c.log', 'TREE05');
    expect(f.lines).toEqual(['WARNING: TREE05 GP HANG at 250 torture stat 3', '    c.log']);
  });

  it('reports a missing success message', () => {
    const f = parseConsole(RCU_OK.slice(0, 7).join('\n'), 'c.log', 'TREE05');
    expect(f.lines).toEqual(['TREE05 no success message, 2 successful version messages']);
  });

  it('counts a lockdep report once per banner + title', () => {
    const f = parseConsole([...LOCKDEP_SPLAT, T(6, '=============================='), T(6, 'not a title')].join('\n'), 'c.log', 'X');
    expect(f.lockdepTitles).toEqual(['WARNING: possible circular locking dependency detected']);
    expect(f.badness.lockdep).toBe(1);
  });
});

describe('recheckResults()', () => {
  it('carries the console\'s coverage block into summary.json and stays clean with it', () => {
    const facts = { suite: 'rcu', tortureType: 'rcu', onoff: true, preempt: false, smp: true };
    const block = coverageBlockLines(facts, COVERAGE_SLOTS.map((s) => (s.name === 'rcu.fqs_round' ? 42 : 0))).map((l) => T(10.05, l));
    const dir = resultsDir({ TREE05: { console: [...RCU_OK.slice(0, -1), ...block, ...RCU_OK.slice(-1)], retval: 0, result: { seconds: 10.1 } } });
    const r = recheckResults(dir);
    expect(r.summary.exitCode).toBe(0);
    const s = summaryOf(dir, 'TREE05');
    expect(s.verdict).toBe('success');
    expect(s.coverage?.facts).toEqual(facts);
    expect(s.coverage?.counts['rcu.fqs_round']).toBe(42);
    expect(s.coverage?.expected).toContain('rcu.cb_migrate');
    expect(existsSync(path.join(dir, 'TREE05', 'console.log.diags'))).toBe(false);
  });

  it('passes a clean run and writes the summaries', () => {
    const dir = resultsDir({ TREE05: { console: RCU_OK, retval: 0, result: { seconds: 10.1 } } });
    const r = recheckResults(dir);
    expect(r.lines).toEqual(['torture --configs TREE05 --duration 10s', 'TREE05 ------- 250 GPs (25/s) [rcu: g1200 f0x0 total-gps=300]']);
    expect(r.summary.exitCode).toBe(0);
    const s = summaryOf(dir, 'TREE05');
    expect(s).toEqual({
      scenario: 'TREE05',
      suite: 'rcu',
      verdict: 'success',
      reasons: [],
      gps: 250,
      gpsPerSec: 25,
      lockdepReports: 0,
      lockdepTitles: [],
      hotplug: { onlineOk: 5, onlineTry: 5, offlineOk: 6, offlineTry: 6 },
      durationSec: 10,
      bootSec: null,
      testSec: 9.9,
      completedSec: 10.1,
      endOfTest: 'SUCCESS',
      guestRetval: 0,
      killed: false,
      headline: 'TREE05 ------- 250 GPs (25/s) [rcu: g1200 f0x0 total-gps=300]',
      // This console (a fixture) has no coverage block; a guest's always ends with one.
      coverage: null,
    });
    const run = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as { scenarios: unknown[]; exitCode: number };
    expect(run.scenarios).toHaveLength(1);
    expect(run.exitCode).toBe(0);
    expect(existsSync(path.join(dir, 'TREE05', 'console.log.diags'))).toBe(false);
  });

  it('fails an abject FAILURE with the instance count of the last !!! line', () => {
    const busted = [
      ...RCU_OK.slice(0, 4),
      T(2, 'rcu-torture: !!! Reader Pipe:  1000 10 5 4 3 2 1 0 0 0 0'),
      T(10, 'rcu-torture:--- End of test: FAILURE: nreaders=7'),
    ];
    const dir = resultsDir({ BUSTED: { console: busted, retval: 0, result: { seconds: 10 } } });
    const r = recheckResults(dir);
    expect(r.lines).toContain('BUG: BUSTED FAILURE, 15 instances');
    expect(r.lines).toContain(`WARNING: Assertion failure in ${path.join(dir, 'BUSTED', 'console.log')} BUSTED`);
    expect(r.lines.at(-1)).toBe('1 runs with runtime errors.');
    expect(summaryOf(dir, 'BUSTED')).toMatchObject({ verdict: 'failure', endOfTest: 'FAILURE' });
    expect(existsSync(path.join(dir, 'BUSTED', 'console.log.diags'))).toBe(true);
  });

  it('fails a run with a lockdep splat even though the test said SUCCESS', () => {
    const con = [...RCU_OK.slice(0, 7), ...LOCKDEP_SPLAT, ...RCU_OK.slice(7)];
    const dir = resultsDir({ TREE05: { console: con, retval: 0, result: { seconds: 10 } } });
    const r = recheckResults(dir);
    expect(r.lines).toContain('WARNING: Summary: Warnings: 1 Call Traces: 1 lockdep: 1');
    const s = summaryOf(dir, 'TREE05');
    expect(s).toMatchObject({ verdict: 'failure', endOfTest: 'SUCCESS', lockdepReports: 1 });
    expect(s.reasons).toContain('lockdep: WARNING: possible circular locking dependency detected');
    expect(r.summary.exitCode).toBe(1);
  });

  it('counts and names the misuse reports: invalid wait context, bad unlock balance, locks held at exit', () => {
    const misuse = [
      T(5, '============================='),
      T(5, '[ BUG: Invalid wait context ]'),
      T(5, '0.1.0-torture #1 Not tainted'),
      T(5, '-----------------------------'),
      T(5, 'misuse_main/2 is trying to lock:'),
      T(6, '====================================='),
      T(6, 'WARNING: bad unlock balance detected!'),
      T(6, '0.1.0-torture #1 Not tainted'),
      T(7, '===================================='),
      T(7, 'WARNING: misuse_exiter/5 still has locks held!'),
      T(7, '0.1.0-torture #1 Not tainted'),
    ];
    const con = [...RCU_OK.slice(0, 7), ...misuse, ...RCU_OK.slice(7)];
    const dir = resultsDir({ TREE05: { console: con, retval: 0, result: { seconds: 10 } } });
    const r = recheckResults(dir);
    expect(r.lines.some((l) => l.includes('lockdep: 3'))).toBe(true);
    const s = summaryOf(dir, 'TREE05');
    expect(s).toMatchObject({ verdict: 'failure', lockdepReports: 3 });
    expect(s.lockdepTitles).toEqual(['[ BUG: Invalid wait context ]', 'WARNING: bad unlock balance detected!', 'WARNING: misuse_exiter/5 still has locks held!']);
    expect(s.reasons).toContain('lockdep: [ BUG: Invalid wait context ]');
    expect(r.summary.exitCode).toBe(1);
  });

  it('fails a killed guest and says so', () => {
    const dir = resultsDir({ LOCK01: { suite: 'lock', console: [T(1, 'spin_lock-torture: Writes:  Total: 500  Max/Min: 100/50   Fail: 0')], retval: 137 } });
    const r = recheckResults(dir);
    expect(r.lines).toEqual([
      'torture --configs TREE05 --duration 10s',
      'LOCK01 ------- 500 acquisitions/releases (50 per second)',
      'Guest killed',
      'LOCK01 no success message, 0 successful version messages',
      '1 runs with runtime errors.',
    ]);
    expect(summaryOf(dir, 'LOCK01')).toMatchObject({ verdict: 'failure', killed: true, guestRetval: 137, completedSec: null, acquisitions: 500 });
  });

  it('counts locktorture writes only in the headline (as kvm-recheck-lock.sh), reports early completion and #CHECK# failures', () => {
    const con = [
      T(1, 'rw_lock-torture: Writes:  Total: 500  Max/Min: 100/50   Fail: 0'),
      T(1, 'rw_lock-torture: Reads :  Total: 700  Max/Min: 100/50   Fail: 0'),
      T(3, 'rw_lock-torture:--- End of test: SUCCESS: nwriters_stress=8'),
    ];
    const dir = resultsDir({
      LOCK04: {
        suite: 'lock',
        console: con,
        retval: 0,
        result: { seconds: 3 },
        files: { 'ConfigFragment.input': '#CHECK#CONFIG_PREEMPT_RCU=y\n', '.config': 'CONFIG_PREEMPT_RCU=n\n' },
      },
    });
    const r = recheckResults(dir);
    expect(r.lines).toEqual([
      'torture --configs TREE05 --duration 10s',
      'LOCK04 ------- 500 acquisitions/releases (50 per second)',
      ':CONFIG_PREEMPT_RCU=y: improperly set',
      'Completed in 3 vs. 10',
      '1 runs with .config errors.',
    ]);
    expect(r.summary.exitCode).toBe(1);
    expect(summaryOf(dir, 'LOCK04')).toMatchObject({ acquisitions: 500, readAcquisitions: 700 });
  });

  it('fails a guest that exited with an error and shows its problems', () => {
    const dir = resultsDir({
      TREE05: {
        console: [...RCU_OK.slice(0, 4), T(3, 'Oops: TypeError on CPU 2')],
        retval: 1,
        result: { seconds: 3, problems: ['Oops on CPU 2: TypeError'] },
        files: { 'guest-output': 'boom\n' },
      },
    });
    const r = recheckResults(dir);
    expect(r.lines.slice(1, 5)).toEqual(['TREE05 ------- 100 GPs (10/s)', 'Guest error, exit code 1, output:', 'boom', 'Guest problem: Oops on CPU 2: TypeError']);
    expect(summaryOf(dir, 'TREE05').reasons).toEqual(expect.arrayContaining(['guest exit code 1', 'Oops on CPU 2: TypeError', 'no success message']));
  });

  it('a guest killed because the run was stopped (guest-stopped) is INCONCLUSIVE, unless it found something; killed without it, a failure', () => {
    const cut = RCU_OK.slice(0, 5);
    const dir = resultsDir({
      STOPPED: { console: cut, retval: 137, files: { 'guest-stopped': 'STOP file\n' } },
      SPLAT: { console: [...cut, ...LOCKDEP_SPLAT], retval: 137, files: { 'guest-stopped': 'STOP file\n' } },
      KILLED: { console: cut, retval: 137 },
      // The guest ended on its own before the stop reached it: judged as it ended.
      ENDED: { console: RCU_OK, retval: 0, result: { seconds: 10 }, files: { 'guest-stopped': 'SIGINT\n' } },
    });
    const r = recheckResults(dir);
    expect(r.lines).toContain('Guest stopped by STOP file');
    expect(r.lines).toContain('INCONCLUSIVE: STOPPED: stopped by STOP file');
    expect(summaryOf(dir, 'STOPPED')).toMatchObject({ verdict: 'inconclusive', reasons: ['stopped by STOP file'], killed: true });
    expect(summaryOf(dir, 'SPLAT').verdict).toBe('failure');
    expect(summaryOf(dir, 'SPLAT').reasons).not.toContain('no success message');
    expect(summaryOf(dir, 'KILLED')).toMatchObject({ verdict: 'failure', reasons: expect.arrayContaining(['guest killed (SIGKILL)', 'no success message']) as unknown });
    expect(summaryOf(dir, 'ENDED').verdict).toBe('success');
    expect(r.summary).toMatchObject({ exitCode: 1, failures: 2, inconclusive: 1 });
  });

  it("with the report's writers, writes junit.xml (one test case per scenario, the failure with its reasons) and index.html into the results directory", () => {
    const busted = [...RCU_OK.slice(0, 4), T(2, 'rcu-torture: !!! Reader Pipe:  1000 10 5 4 3 2 1 0 0 0 0'), T(10, 'rcu-torture:--- End of test: FAILURE: nreaders=7')];
    const dir = resultsDir({ BUSTED: { console: busted, retval: 0, result: { seconds: 10 } }, TREE05: { console: RCU_OK, retval: 0, result: { seconds: 10.1 } } });
    expect(existsSync(path.join(dir, 'junit.xml'))).toBe(false);
    recheckResults(dir, REPORT_WRITERS);
    const xml = new XMLParser({ ignoreAttributes: false, isArray: (n) => n === 'testcase' || n === 'testsuite' }).parse(readFileSync(path.join(dir, 'junit.xml'), 'utf8')) as {
      testsuites: { testsuite: { testcase: { '@_name': string; '@_classname': string; failure?: { '@_message': string } }[] }[] };
    };
    const cases = xml.testsuites.testsuite.flatMap((s) => s.testcase);
    expect(cases.map((c) => [c['@_name'], c['@_classname']])).toEqual([['BUSTED', 'torture.rcu'], ['TREE05', 'torture.rcu']]);
    expect(cases[0]?.failure?.['@_message']).toContain('FAILURE');
    expect(cases[1]?.failure).toBeUndefined();
    const html = readFileSync(path.join(dir, 'index.html'), 'utf8');
    expect(html.match(/<tr><td><a href="#sc-\d+">/g)).toHaveLength(2);
    expect(html).toContain('1 of 2 scenario runs succeeded.');
    // A lone scenario directory is not a results directory: neither file is written into it.
    const lone = path.join(resultsDir({ TREE05: { console: RCU_OK, retval: 0, result: { seconds: 10 } } }), 'TREE05');
    recheckResults(lone, REPORT_WRITERS);
    expect(existsSync(path.join(lone, 'junit.xml')) || existsSync(path.join(lone, 'index.html'))).toBe(false);
  });

  it('recheckMain prints the end-of-run block and returns 0/1', () => {
    const ok = resultsDir({ TREE05: { console: RCU_OK, retval: 0, result: { seconds: 10 } } });
    const out: string[] = [];
    expect(recheckMain([ok], (l) => out.push(l))).toBe(0);
    expect(out[0]).toMatch(/^ --- \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d UTC \d{4} Test summary:$/);
    expect(out[1]).toBe(`Results directory: ${ok}`);
    expect(out.at(-1)).toMatch(/^ --- Done at .* \(\d+ seconds\) exitcode 0$/);
    const bad = resultsDir({ TREE05: { console: RCU_OK, retval: 137 } });
    expect(recheckMain([ok, bad], () => {})).toBe(1);
  });
});

describe('INCONCLUSIVE: a clean run short of what its suite says a meaningful run reaches', () => {
  const BOOTED = [
    T(0, 'Linux version 0.1.0-torture'),
    T(0.1, 'rcu-torture:--- Start of test: nreaders=7 nfakewriters=4 stat_interval=2 shutdown_secs=10'),
    T(0.2, 'torture: all 16 CPUs up after 3.456 s of boot: test time starts'),
  ];
  const ZERO_GPS = [
    ...BOOTED,
    T(0.24, 'rcu-torture: rtc: (null) VER: 0 tfle: 0 rta: 0 rtaf: 0 rtf: 0'),
    T(0.24, 'rcu-torture:--- End of test: SUCCESS: nreaders=7 nfakewriters=4 stat_interval=2 shutdown_secs=10'),
  ];
  type Xml = { testsuites: { testsuite: { testcase: { '@_name': string; error?: { '@_message': string; '@_type': string }; failure?: unknown }[] }[] } };
  const junitCases = (dir: string) =>
    new XMLParser({ ignoreAttributes: false, isArray: (n) => n === 'testcase' || n === 'testsuite' })
      .parse(readFileSync(path.join(dir, 'junit.xml'), 'utf8'))
      .testsuites.testsuite.flatMap((x: Xml['testsuites']['testsuite'][number]) => x.testcase) as Xml['testsuites']['testsuite'][number]['testcase'];

  it('parseConsole reads the boot time and the test time (from all CPUs up to End of test)', () => {
    const f = parseConsole(ZERO_GPS.join('\n'), 'c.log', 'TREE03');
    expect(f.bootSec).toBe(3.456);
    expect(f.testSec).toBe(0.04);
    expect(f.finalVer).toBe(0);
    // The test stops where torture_shutdown starts the cleanup, not after a slow cleanup.
    const slow = [...BOOTED, T(5.2, 'rcu-torture: torture_shutdown task shutting down system'), ...ZERO_GPS.slice(3).map((l) => l.replace('0.240000', '15.200000'))];
    expect(parseConsole(slow.join('\n'), 'c.log', 'TREE03').testSec).toBe(5);
  });

  it('0 grace periods in 0.04 s of test: INCONCLUSIVE in the lines, summary.json and JUnit (an error), exit 1', () => {
    const dir = resultsDir({ TREE03: { console: ZERO_GPS, retval: 0, result: { seconds: 3.8 } }, TREE05: { console: RCU_OK, retval: 0, result: { seconds: 10.1 } } });
    const r = recheckResults(dir, REPORT_WRITERS);
    expect(r.lines).toContain('INCONCLUSIVE: TREE03: 0 grace periods in 0.04 s of test (at least 1 needed, 0.25/s)');
    expect(r.lines.at(-1)).toBe('1 runs inconclusive (too little tested to say).');
    expect(r.summary).toMatchObject({ exitCode: 1, failures: 0, inconclusive: 1 });
    expect(summaryOf(dir, 'TREE03')).toMatchObject({ verdict: 'inconclusive', reasons: ['0 grace periods in 0.04 s of test (at least 1 needed, 0.25/s)'], bootSec: 3.456, testSec: 0.04 });
    expect(summaryOf(dir, 'TREE05')).toMatchObject({ verdict: 'success' });
    const [tree03, tree05] = junitCases(dir);
    expect(tree03?.error).toMatchObject({ '@_type': 'inconclusive' });
    expect(tree03?.error?.['@_message']).toContain('INCONCLUSIVE: 0 grace periods in 0.04 s of test');
    expect(tree03?.failure).toBeUndefined();
    expect(tree05?.error).toBeUndefined();
    const html = readFileSync(path.join(dir, 'index.html'), 'utf8');
    expect(html).toContain('<span class="inconclusive"');
    expect(html).toContain('boot 3.46 s · test 0.0 s');
  });

  it('a finding wins: a run that failed is a FAIL however little it tested', () => {
    const busted = [...ZERO_GPS.slice(0, 3), T(0.2, 'rcu-torture: !!! Reader Pipe:  1000 10 5 4 3 2 1 0 0 0 0'), T(0.24, 'rcu-torture:--- End of test: FAILURE: nreaders=7')];
    const dir = resultsDir({ BUSTED: { console: busted, retval: 0, result: { seconds: 1 } } });
    recheckResults(dir);
    expect(summaryOf(dir, 'BUSTED')).toMatchObject({ verdict: 'failure', reasons: ['BUSTED FAILURE, 15 instances', expect.stringContaining('console badness')] });
  });

  it('locktorture: a writer that never got the lock makes the run INCONCLUSIVE; so does hotplug on with no hotplug operation', () => {
    const lock = (min: number, onoff: string) => [
      T(0.1, 'lock_torture_start'),
      T(0.2, 'torture: all 4 CPUs up after 0.8 s of boot: test time starts'),
      T(10.2, `spin_lock-torture: Writes:  Total: 500  Max/Min: 100/${min}   Fail: 0`),
      T(10.2, `spin_lock-torture: onoff: ${onoff} 3,5:2,4 5:7 (HZ=1000) `),
      T(10.2, 'spin_lock-torture:--- End of test: SUCCESS: nwriters_stress=8'),
    ];
    const hot = { bootParams: { 'locktorture.onoff_interval': '100', 'locktorture.onoff_holdoff': '1' }, kconfig: { CONFIG_HOTPLUG_CPU: 'y' } };
    const dir = resultsDir({
      LOCK01: { suite: 'lock', console: lock(0, '3/3:4/4'), retval: 0, result: { seconds: 11 } },
      LOCK02: { suite: 'lock', console: lock(40, '0/0:0/0'), retval: 0, result: { seconds: 11 }, spec: hot },
      LOCK03: { suite: 'lock', console: lock(40, '3/3:4/4'), retval: 0, result: { seconds: 11 }, spec: hot },
    });
    const r = recheckResults(dir);
    expect(summaryOf(dir, 'LOCK01')).toMatchObject({ verdict: 'inconclusive', reasons: ['0 acquisitions by the least busy writer in 10.0 s of test (at least 2 needed, 0.25/s)'] });
    expect(summaryOf(dir, 'LOCK02')).toMatchObject({ verdict: 'inconclusive', reasons: ['0 CPU-hotplug operations in 10.0 s of test (onoff_interval=100, onoff_holdoff=1)'] });
    expect(summaryOf(dir, 'LOCK03').verdict).toBe('success');
    expect(r.summary).toMatchObject({ exitCode: 1, inconclusive: 2 });
  });
});
