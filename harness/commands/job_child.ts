/*
 * One battery step as a child process: the `torture` command line itself (main.ts's
 * main), plus one duty: when the battery process dies, however it dies (kill -9 included), its IPC
 * channel closes and this child ends its run as on SIGTERM (the driver kills its guests and still
 * rechecks what they wrote), so no step outlives the battery.
 *
 * Usage (by run_battery.ts only): node dist/harness/commands/job_child.js <torture arguments>
 */

import { main } from './main.js';

if (process.channel !== undefined) {
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  // The channel alone must not keep the process alive once the step is done.
  process.channel.unref();
}
process.exitCode = await main(process.argv.slice(2));
