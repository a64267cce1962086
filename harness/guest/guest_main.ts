/*
 * One guest: the analogue of one qemu process of kvm.sh. It creates the guest's shared memory,
 * starts NR_CPUS CPU workers, writes their console to `console.log` as it arrives (so whatever a
 * guest printed is on disk even if it is killed), watches for hangs and soft lockups, and ends
 * when the kernel powers off, panics, or hangs. It writes `guest-result.json`, with LOCK_STAT
 * `lock_stat` (/proc/lock_stat), and, with lockdep,
 * `lockdep_stats` and `lockdep_graph.json` (locktorture: `locktorture_tasks.json`) before exiting with one of GUEST_EXIT.
 *
 * Usage: node [--max-old-space-size=MB] dist/harness/guest/guest_main.js <resdir>/guest-spec.json
 *             [-smp N [-m SIZE] -append "BOOT LINE"]
 * The qemu-style words after the spec repeat what the spec says, so that the command line the
 * driver records in `qemu-cmd` is the one that ran and kvm.sh's scripts can read it; a mismatch is
 * a boot error. With `memoryMb` every V8 heap of the guest (this thread: --max-old-space-size; each
 * CPU worker: resourceLimits) gets an even share; a CPU over its share is an out-of-memory panic.
 *
 * Started by the driver with an IPC channel: the guest sends its live counters over it
 * (progress_counters.ts) and exits at once when it closes, so that a guest never outlives its
 * driver, however the driver died (kill -9 included); before the driver kills it, it prints its
 * state (sysrq-t) when asked over the channel (show_state_request.ts).
 */

import { closeSync, fsyncSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { CpuImage, CpuStart, FromCpu } from '../cpu/protocol.js';
import { assertNever } from '../cpu/protocol.js';
import { codeCachePath, codeCacheWritable, readCodeCache, writeCodeCache } from '../cpu/code_cache.js';
import { cpuBundleVerdict } from '../cpu/cpu_bundle_check.js';
import { cpuWorkerEntry } from '../cpu/cpu_entry_script.js';
import { KERNEL_BUILD, KERNEL_RELEASE } from '../cpu/kernel_release.js';
import {
  CPU_IRQ_PENDING,
  CPU_ST,
  CPU_STATE,
  GUEST_MAGIC,
  HDR_GO,
  HDR_MAGIC,
  HDR_MUST_STOP,
  HDR_NEXT_PID,
  HDR_NR_CPUS,
  HDR_WAKE_SEQ_BASE,
  HDR_LOCKSTAT_BASE,
  IRQ_LINE_SLEEPING,
  LOCKDEP_BASE,
  bootTimeView,
  cpuWord,
  goMicros,
  guestLayout,
} from '../shm/layout.js';
import { LOCKDEP_SHM_WORDS } from '../lockdep/layout.js';
import { GUEST_EXIT, guestQemuArgs, heapShareMb, type GuestResult, type GuestSpec } from './guest_spec.js';
import { printkStamp, printkTime } from '../lib/printk_time.js';
import { bootDoneLine } from '../formats/console_lines.js';
import { ProgressCounters } from './progress_counters.js';
import { lockStats } from '../cpu/lock_stat.js';
import { lockStatText } from '../formats/lock_stat.js';
import { SCENARIO_FILE } from '../formats/results_files.js';
import { SUITES } from '../suites/index.js';
import { answerShowState } from './show_state_request.js';
import { watchdog_thresh } from '../../kernels/core_params.js';

/*
 * Only what the CPUs' start needs is imported above: the rest of this thread's modules (the hang
 * detector, the state dump, the coverage block, lockdep's validator: dynamic imports below) load
 * once the boot is over, so that they do not take a host core from the booting CPUs (the hang
 * detector has nothing to check before the tasks run; harness/cpu/README.md, "Boot").
 */

const specPath = process.argv[2];
if (specPath === undefined) {
  process.stderr.write('usage: guest_main.js <guest-spec.json>\n');
  process.exit(GUEST_EXIT.bootError);
}
const spec = JSON.parse(readFileSync(specPath, 'utf8')) as GuestSpec;
const qemuArgs = process.argv.slice(3);
if (qemuArgs.length > 0 && JSON.stringify(qemuArgs) !== JSON.stringify(guestQemuArgs(spec))) {
  process.stderr.write(`guest_main.js: command line ${JSON.stringify(qemuArgs)} does not match ${specPath} (${JSON.stringify(guestQemuArgs(spec))})\n`);
  process.exit(GUEST_EXIT.bootError);
}
const progress = new ProgressCounters();
if (process.channel !== undefined) {
  // The driver is gone (exited, crashed, kill -9): stop now; nobody is left to collect results.
  // SIGKILL to itself rather than process.exit(): no exit handlers, no worker teardown to wait for
  // (the console is written synchronously as it arrives, so nothing is lost).
  process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}
const resdir = spec.resdir;
const consoleFd = openSync(path.join(resdir, 'console.log'), 'w');
const proveLocking = spec.kconfig['CONFIG_PROVE_LOCKING'] === 'y';

const lockStatOn = spec.kconfig['CONFIG_LOCK_STAT'] === 'y';
const layout = guestLayout(proveLocking ? LOCKDEP_SHM_WORDS : 0, spec.nrCpus, lockStatOn);
const sab = new SharedArrayBuffer(layout.totalWords * 4);
const i32 = new Int32Array(sab);
const bootMs = performance.now();
bootTimeView(sab)[0] = bootMs;
Atomics.store(i32, HDR_NR_CPUS, spec.nrCpus);
Atomics.store(i32, HDR_WAKE_SEQ_BASE, layout.wakeSeqBase);
Atomics.store(i32, HDR_LOCKSTAT_BASE, layout.lockStatBase);
Atomics.store(i32, HDR_NEXT_PID, 2);
for (let c = 0; c < spec.nrCpus; c++) Atomics.store(i32, cpuWord(c, CPU_STATE), CPU_ST.online);
Atomics.store(i32, HDR_MAGIC, GUEST_MAGIC);

function writeConsole(lines: readonly string[]): void {
  if (lines.length === 0) return;
  writeSync(consoleFd, lines.join('\n') + '\n');
  for (const l of lines) progress.line(l);
}

function sendProgress(): void {
  const p = progress.take();
  if (p !== null && process.connected && process.send !== undefined) process.send(p);
}

function machineLines(lines: readonly string[]): void {
  const s = printkStamp(bootMs);
  writeConsole(lines.map((l) => `${s} ${l}`));
}

const release = `${KERNEL_RELEASE} ${KERNEL_BUILD}`;
machineLines([
  `Linux version ${KERNEL_RELEASE} (torture@${process.version}) ${KERNEL_BUILD} SMP${spec.kconfig['CONFIG_PREEMPT'] === 'y' ? ' PREEMPT' : ''}`,
  `Command line: ${spec.bootLine}`,
  `smp: Bringing up secondary CPUs ...`,
]);

const problems: string[] = [];
const findings: string[] = [];
let ended = false;
const workers: Worker[] = [];
const modules = spec.modules ?? SUITES[spec.suite].bootModules;
// Set once this thread's own modules have loaded (after the CPUs started): end() may come first.
let watchdog: NodeJS.Timeout | undefined;
let progressTimer: NodeJS.Timeout | undefined;
let apicTimer: NodeJS.Timeout | undefined;

function end(how: GuestResult['end']): void {
  if (ended) return;
  ended = true;
  clearInterval(watchdog);
  clearInterval(progressTimer);
  clearInterval(apicTimer);
  Atomics.store(i32, HDR_MUST_STOP, 1);
  // Let in-flight console messages of the other CPUs arrive before the machine stops.
  setTimeout(() => void finish(how), 100);
}

async function finish(how: GuestResult['end']): Promise<void> {
  await Promise.all(workers.map((w) => w.terminate().catch(() => 0)));
  const seconds = (performance.now() - bootMs) / 1000;
  const { coverageDump, lockdepMod } = await lateModules();
  machineLines(coverageDump(i32, spec)); // after terminate(): every worker joined (coverage_dump.ts)
  if (how === 'poweroff') machineLines(['reboot: Power down']);
  // /proc/lock_stat at the end of the run, after terminate(): every worker joined (cpu/lock_stat.ts).
  if (lockStatOn) writeFileSync(path.join(resdir, SCENARIO_FILE.lockStat), lockStatText(lockStats(i32, layout.lockStatBase, spec.nrCpus)));
  if (lockdepMod !== null) {
    try {
      const v = lockdepMod.lockdepInit(i32, LOCKDEP_BASE, {
        current: () => ({ pid: 0, comm: 'swapper', cpu: 0 }),
        irqState: () => ({ hardirq: false, softirq: false, irqsDisabled: false, bhDisabled: false }),
        print: () => {},
        onReport: () => {},
      });
      writeFileSync(path.join(resdir, 'lockdep_stats'), v.procStats());
      // The dependency graph and the reported cycles, for the HTML report (harness/report).
      const { lockdepGraphJson } = await import('../lockdep/graph_dump.js');
      const graph = lockdepGraphJson(v.readGraph(), readFileSync(path.join(resdir, 'console.log'), 'utf8'));
      writeFileSync(path.join(resdir, 'lockdep_graph.json'), JSON.stringify(graph) + '\n');
    } catch (err) {
      problems.push(`lockdep_stats: ${String(err)}`);
    }
  }
  for (const [name, value] of Object.entries(SUITES[spec.suite].guestFiles(i32))) {
    if (value !== null) writeFileSync(path.join(resdir, name), JSON.stringify(value) + '\n');
  }
  sendProgress();
  const result: GuestResult = { scenario: spec.scenario, end: how, seconds: Math.round(seconds * 1000) / 1000, bootSec, bootCpuSec, cpuImage, problems, findings };
  writeFileSync(path.join(resdir, 'guest-result.json'), JSON.stringify(result, null, 2) + '\n');
  try {
    fsyncSync(consoleFd);
  } catch {
    /* best effort */
  }
  closeSync(consoleFd);
  process.exit(how === 'poweroff' && problems.length === 0 ? GUEST_EXIT.poweroff : how === 'boot-error' ? GUEST_EXIT.bootError : GUEST_EXIT.failed);
}

function onMessage(m: FromCpu): void {
  switch (m.kind) {
    case 'printk':
      writeConsole(m.lines);
      return;
    case 'oops':
      problems.push(`Oops on CPU ${m.cpu}: ${m.reason}`);
      if (m.fatal) end('oops');
      return;
    case 'failure':
      findings.push(`CPU ${m.cpu}: ${m.reason}`); // the console shows it too; recheck judges it
      return;
    case 'poweroff':
      end('poweroff');
      return;
    case 'hung':
      problems.push(`hang: ${m.summary}`);
      end('hang');
      return;
    case 'cpu-image':
      cpuImage = m.image;
      if (m.data !== undefined && codeCacheFile !== null) writeCodeCache(codeCacheFile, m.data);
      return;
    case 'boot-error':
      problems.push(`boot error on CPU ${m.cpu}: ${m.reason}`);
      end('boot-error');
      return;
    default:
      assertNever(m);
  }
}

// Without a cap, each CPU keeps the 512 MB old space it always had (kvm.sh's default -m is 512M).
// The CPU bundle's V8 code cache from an earlier guest, shared by every CPU (cpu/code_cache.ts).
// Whether the CPUs load the bundle: decided here once, not by each CPU (cpu/cpu_bundle_check.ts).
const bundle = cpuBundleVerdict(modules) === 'bundle';
const codeCacheFile = bundle ? codeCachePath() : null;
const codeCache = readCodeCache(codeCacheFile);
const makeCodeCache = codeCache === undefined ? codeCacheWritable(codeCacheFile) : codeCacheFile !== null;
const cpuEntry = cpuWorkerEntry();
const workerHeapMb = spec.memoryMb !== undefined ? heapShareMb(spec.memoryMb, spec.nrCpus) : 512;
for (let cpu = 0; cpu < spec.nrCpus; cpu++) {
  const start: CpuStart = {
    kind: 'start',
    cpu,
    sab,
    heapBase: layout.heapBase,
    heapEnd: layout.heapEnd,
    lockdepBase: LOCKDEP_BASE,
    spec,
    modules,
    bundle,
    ...(codeCache !== undefined ? { codeCache } : {}),
    makeCodeCache,
  };
  // Node's eager source maps off, then cpu_entry.js (harness/cpu/cpu_entry_script.ts).
  const w = new Worker(cpuEntry.filename, {
    eval: cpuEntry.eval,
    workerData: start,
    name: `CPU${cpu}`,
    resourceLimits: { maxOldGenerationSizeMb: workerHeapMb },
  });
  w.on('message', (m: FromCpu) => onMessage(m));
  w.on('error', (err: Error) => {
    if ('code' in err && err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      machineLines([`Kernel panic - not syncing: Out of memory: CPU ${cpu} exceeded its ${workerHeapMb} MB heap share of -m ${spec.memoryMb ?? '?'}M`]);
      problems.push(`out of memory: CPU ${cpu} over its ${workerHeapMb} MB heap share (--memory ${spec.memoryMb ?? '?'}M)`);
      end('oom');
      return;
    }
    machineLines([`Kernel panic - not syncing: CPU ${cpu} died: ${err.name}: ${err.message}`, ...(err.stack ?? '').split('\n').slice(1, 12)]);
    problems.push(`CPU ${cpu} died: ${err.message}`);
    end('oops');
  });
  w.on('exit', (code) => {
    if (!ended) {
      problems.push(`CPU ${cpu} exited unexpectedly (code ${code})`);
      end('oops');
    }
  });
  workers.push(w);
}
machineLines([`smp: Brought up 1 node, ${spec.nrCpus} CPUs`]);

/** This thread's other modules, loaded at the end of boot (or sooner, when a state dump or the end asks first). */
async function importLateModules() {
  const [hang, show, cov, lockdep] = await Promise.all([
    import('../cpu/hang_detector.js'),
    import('../cpu/show_state.js'),
    import('./coverage_dump.js'),
    proveLocking ? import('../lockdep/index.js') : null,
  ]);
  return { HangDetector: hang.HangDetector, showState: show.showState, coverageDump: cov.coverageDump, lockdepMod: lockdep };
}
let lateModulesLoad: ReturnType<typeof importLateModules> | undefined;
function lateModules(): ReturnType<typeof importLateModules> {
  lateModulesLoad ??= importLateModules();
  return lateModulesLoad;
}

/*
 * The end of boot: every CPU has run its modules' init and met the boot barrier, and CPU 0 lets
 * the tasks run (HDR_GO). From here the torture clock counts (torture_shutdown_init()); the boot
 * before it (this process's start, each worker's start and module loading: 0.5 s idle, several
 * seconds on a loaded host) is measured and printed, and sent to the driver, whose kill deadline
 * counts from it (harness/run/guest_launch.ts).
 */
let bootSec: number | null = null;
let bootCpuSec: number | null = null;
let cpuImage: CpuImage | null = null;
function bootDone(): void {
  if (ended) return;
  const cpuUsage = process.cpuUsage();
  bootCpuSec = Math.round((cpuUsage.user + cpuUsage.system) / 1000) / 1000;
  // The moment CPU 0 let the tasks run, not when this thread noticed: tasks (the torture clock
  // among them) may run before this callback, and none runs before that moment. bootSec counts
  // from this process's start (performance.now()'s origin), so it adds bootMs.
  const goUs = goMicros(Atomics.load(i32, HDR_GO));
  bootSec = Math.round(bootMs + goUs / 1000) / 1000;
  writeConsole([`${printkTime(goUs)} ${bootDoneLine(spec.nrCpus, bootSec)}`]);
  progress.boot(bootSec);
  sendProgress();
}
// Pairs with CPU 0's Atomics.store + notify of HDR_GO after the boot barrier (harness/cpu/cpu_main.ts).
const go = Atomics.waitAsync(i32, HDR_GO, 0);
if (go.async) void go.value.then(bootDone);
else bootDone();

progressTimer = setInterval(sendProgress, 1000);

// The local APIC timer of every CPU, at HZ: raise its interrupt line; the CPU takes the interrupt
// at its next interrupt-enabled kapi call, busy-wait or scheduling pass (harness/cpu/cpu_runtime.ts).
// A busy-wait (CpuRuntime's delay()) may sleep on the line, saying so with IRQ_LINE_SLEEPING:
// only then is the line notified (a notify costs microseconds, a store nanoseconds).
apicTimer = setInterval(() => {
  for (let c = 0; c < spec.nrCpus; c++) {
    const w = cpuWord(c, CPU_IRQ_PENDING);
    // Pairs with the compareExchange + Atomics.wait in CpuRuntime's #spinUntil().
    if (Atomics.exchange(i32, w, 1) === IRQ_LINE_SLEEPING) Atomics.notify(i32, w, 1);
  }
}, 1);

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    problems.push(`guest stopped by ${sig}`);
    end('oops');
  });
}

// sysrq-t from the monitor before it kills this guest: the dump goes to the console first.
// Registered now: a guest still booting is asked too (the dump waits for its module).
answerShowState(async () => {
  const { showState } = await lateModules();
  const d = showState(i32, Math.floor(performance.now() - bootMs), release);
  machineLines(d.lines);
  return d.stuck;
});

// The rest of this thread's modules, once the tasks run (the header above says why): the hang
// detector's scan has nothing to look at before HDR_GO.
await (go.async ? go.value : undefined);
const { HangDetector } = await lateModules();
const watchdogThresh = watchdog_thresh.from(spec.bootParams);
const detector = new HangDetector(i32, spec.nrCpus, watchdogThresh > 0 ? watchdogThresh : 10, release);
if (!ended) {
  watchdog = setInterval(() => {
    const nowJ = Math.floor(performance.now() - bootMs);
    const f = detector.scan(nowJ);
    if (f === null) return;
    machineLines(f.lines);
    problems.push(`${f.kind}: ${f.summary}`);
    end(f.kind === 'hang' ? 'hang' : 'oops');
  }, 500);
}
