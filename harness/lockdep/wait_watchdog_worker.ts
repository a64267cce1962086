/* The watchdog worker of watchDeadlocks({ worker: true }): scans the wait-for table on its own timers. */

import { parentPort, workerData } from 'node:worker_threads';
import { watchdogWorkerLoop } from './wait_watchdog.js';

const d = workerData as { buf: SharedArrayBuffer; intervalMs: number; hungTaskTimeoutSecs: number; release: string };
watchdogWorkerLoop(d.buf, d, (r) => parentPort?.postMessage(r));
