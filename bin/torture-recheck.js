#!/usr/bin/env node
// Thin alias: `torture-recheck DIR...` is `torture recheck DIR...` (kvm-recheck.sh).
let cli;
try {
  cli = await import('../dist/harness/commands/main.js');
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
  process.stderr.write(`torture-recheck: Cannot start as 'dist/harness/commands/main.js' must be built (run npm run build): current value is ${e.message}\n`);
  process.exit(2);
}
process.exitCode = await cli.main(['recheck', ...process.argv.slice(2)]);
