/*
 * The files kvm.sh leaves in a scenario directory and its scripts (kvm-recheck.sh, parse-build.sh,
 * kvm-find-errors.sh, kvm-recheck-{rcu,lock}.sh) read, written with honest contents: nothing is
 * built and no qemu runs, so each file says what did happen.
 *
 *   qemu-cmd            the guest's real command line (node ... guest_main.js SPEC -smp N [-m SIZE]
 *                       -append "BOOT LINE"), one line, then `#` comments: kvm-recheck-rcu.sh reads
 *                       `rcutorture.shutdown_secs=` from it for its GPs-per-second rate
 *   Make.defconfig.out  "no kernel configuration step": kvm-recheck.sh finds scenarios by this file
 *   Make.out            "no kernel build": what the guest's kernel is and where it was compiled;
 *                       parse-build.sh wants a `CC` line or TORTURE_TRUST_MAKE (see README)
 *   vmlinux             "not a kernel image": kvm-find-errors.sh counts a scenario without one as a
 *                       build error
 *   qemu-output         the guest's stdout and stderr (written by guest_launch.ts)
 *   qemu-retval         the guest's exit status in qemu's sense (written by guest_launch.ts): 0
 *                       when the guest ended under its own control (the console says how, as a
 *                       kernel that panicked still lets qemu exit 0), 137 when killed, otherwise the
 *                       process's own status (it crashed: kvm-recheck prints "QEMU error")
 *   scenario.json       the frozen Scenario (merged Kconfig, boot line, seed): `torture again` reads it
 */

import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SCENARIO_FILE } from '../formats/results_files.js';
import { guestQemuArgs, type GuestSpec } from '../guest/guest_spec.js';
import { KILLED_RETVAL } from '../guest/guest_spec.js';
import type { Scenario } from '../config/scenario.js';

/** A word for `sh`: bare when safe, else single-quoted. */
export function shellWord(a: string): string {
  return /^[A-Za-z0-9_./=:,+@%-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`;
}

/** node's own flags for a guest: source maps, and the main thread's heap share under a cap. */
export function guestNodeFlags(heapShareMb: number | undefined): string[] {
  return ['--enable-source-maps', ...(heapShareMb !== undefined ? [`--max-old-space-size=${heapShareMb}`] : [])];
}

/** The guest's argv after `node`, as guest_launch.ts spawns it. */
export function guestArgv(spec: GuestSpec, guestMain: string, specPath: string, heapShareMb: number | undefined): string[] {
  return [...guestNodeFlags(heapShareMb), guestMain, specPath, ...guestQemuArgs(spec)];
}

/** `qemu-cmd`: the command line (the boot line double-quoted, as kvm.sh writes -append), then comments. */
export function qemuCmdText(spec: GuestSpec, argv: readonly string[], shutdownGraceSec: number): string {
  const words = argv.map((a, i) => (argv[i - 1] === '-append' && !/["$`\\]/.test(a) ? `"${a}"` : shellWord(a)));
  return [
    [shellWord(process.execPath), ...words].join(' '),
    `# Not qemu: this guest is the Node.js ${process.version} process above, its ${spec.nrCpus} CPUs worker threads.`,
    `# TORTURE_SHUTDOWN_GRACE=${shutdownGraceSec}`,
    `# seconds=${spec.durationSec}`,
  ].join('\n') + '\n';
}

function mtimeText(file: string): string {
  try {
    return statSync(file).mtime.toISOString();
  } catch {
    return 'missing';
  }
}

/** Write the build-side files of one scenario directory (before its guest starts). */
export function writeKvmBuildFiles(dir: string, s: Scenario, guestMain: string): void {
  writeFileSync(
    path.join(dir, SCENARIO_FILE.makeDefconfigOut),
    `torture: no kernel configuration step for ${s.name}: the TypeScript kernel reads ConfigFragment at boot;\n` +
      `.config is the merged Kconfig (CFcommon, ${s.baseName}, --kconfig) plus the symbols the model derives.\n`,
  );
  writeFileSync(
    path.join(dir, SCENARIO_FILE.makeOut),
    `torture: no kernel build for ${s.name}. The guest kernel is TypeScript compiled once for every scenario\n` +
      `by 'npm run build' (tsc) into dist/; this run booted ${guestMain} (modified ${mtimeText(guestMain)}).\n`,
  );
  writeFileSync(
    path.join(dir, SCENARIO_FILE.vmlinux),
    `Not a kernel image. ${s.name} booted ${guestMain} under Node.js ${process.version} (see qemu-cmd);\n` +
      `kvm.sh's scripts take this file's presence to mean that a kernel was there to boot.\n`,
  );
}

/** qemu-retval from how the guest ended (see the header). */
export function qemuRetval(guestRetval: number, killed: boolean, endedUnderControl: boolean): number {
  if (killed) return KILLED_RETVAL;
  return endedUnderControl ? 0 : guestRetval;
}
