#!/usr/bin/env node
// Thin launcher: all parsing, checking and running lives in harness/commands/main.ts (built to dist/).
let cli;
try {
  cli = await import('../dist/harness/commands/main.js');
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
  process.stderr.write(`torture: Cannot start as 'dist/harness/commands/main.js' must be built (run npm run build): current value is ${e.message}\n`);
  process.exit(2);
}
process.exitCode = await cli.main(process.argv.slice(2));
