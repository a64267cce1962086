/*
 * The monitor's last question to a guest it is about to kill: "show your state" (sysrq-t), over
 * the guest's IPC channel (the one its progress counters use). The monitor
 * (harness/run/guest_launch.ts) sends SHOW_STATE_REQUEST at duration + grace and kills the guest
 * when the answer arrives or SHOW_STATE_DEADLINE_SEC later, whichever is first. The guest's main
 * thread answers (answerShowState()): it is no CPU, so it stays responsive however wedged the CPUs
 * are; it prints the dump into the console (harness/cpu/show_state.ts) before it answers, so the
 * dump is on disk when the SIGKILL comes.
 */

/** How long the monitor waits for the dump before it kills the guest anyway. */
export const SHOW_STATE_DEADLINE_SEC = 2;

export const SHOW_STATE_REQUEST = { kind: 'show-state' } as const;

/** The guest's answer: the dump is in console.log; `stuck` is its one-line summary. */
export interface StateDumped {
  readonly kind: 'state-dumped';
  readonly stuck: string;
}

export function isShowStateRequest(m: unknown): boolean {
  return typeof m === 'object' && m !== null && (m as { kind?: unknown }).kind === SHOW_STATE_REQUEST.kind;
}

export function isStateDumped(m: unknown): m is StateDumped {
  return typeof m === 'object' && m !== null && (m as { kind?: unknown }).kind === 'state-dumped' && typeof (m as { stuck?: unknown }).stuck === 'string';
}

/**
 * In the guest: answer each request with `dump()` (which prints the dump and returns its summary).
 * The dump may wait for what it needs (the guest registers this before its state-dump module has
 * loaded, so that a request during the boot is answered too).
 */
export function answerShowState(dump: () => string | Promise<string>): void {
  process.on('message', (m: unknown) => {
    if (!isShowStateRequest(m)) return;
    void Promise.resolve(dump()).then((stuck) => {
      const answer: StateDumped = { kind: 'state-dumped', stuck };
      if (process.connected && process.send !== undefined) process.send(answer);
    });
  });
}
