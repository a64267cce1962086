#!/usr/bin/env node
// Thin alias: `torture-recheck DIR...` is `torture recheck DIR...` (kvm-recheck.sh); the launcher
// (and its "not built" message) is torture.js's.
process.argv.splice(2, 0, 'recheck');
await import('./torture.js');
