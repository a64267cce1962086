/*
 * Test guest module (4 CPUs, CONFIG_HOTPLUG_CPU=y): the slab allocator under real concurrency.
 * For `slab_stress.secs` seconds one kthread per CPU allocates batches of objects from one cache
 * on the CPU it runs on, stamps every word of each, and frees them later: most on its own CPU
 * (the lockless fast path), some handed through a mailbox to the next kthread, which frees them
 * on its CPU (__slab_free() into another CPU's slab). A timer on every CPU allocates and frees in
 * softirq context, interleaving with the task's slow path wherever irqs are on. Meanwhile CPU 0
 * takes the last CPU offline and back again and again, so slub_cpu_dead() flushes a slab that
 * other CPUs keep freeing into.
 *
 * The checks: an object is claimed in an owner table at allocation (a second claim is a double
 * allocation), its stamp must be intact when it is freed (a free pointer written into a live
 * object is a corruption), and when everything is freed the cache must be destroyable (no object
 * lost). CPU 0 prints `slab-stress: OK ...` or `slab-stress: FAIL: ...` and powers off.
 */

import { kapi } from '../../../harness/kapi.js';
import { add_cpu, cpu_online, remove_cpu } from '../../cpu/hotplug.js';
import { kmem_cache_alloc, kmem_cache_create, kmem_cache_destroy, kmem_cache_free, type KmemCache } from '../slab_common.js';
import { slub_cache_by_slot, slub_cpu_dead_stats, slub_init, slub_max_objects, slub_obj_index } from '../slub.js';
import { module_param } from '../../moduleparam.js';

const W_SLOT = 0;
const W_STOP = 1;
const W_FAIL = 2;
const W_ALLOCS = 3;
const W_REMOTE = 4;
const W_IRQ = 5;
const W_OFFLINES = 6;
const W_DONE = 8; // one word per kthread: 1 = stopped producing, 2 = drained its inbox
const OBJ_BYTES = 32;
const OBJ_WORDS = OBJ_BYTES / 4;
const MBOX_WORDS = 64;
const MB_HEAD = 0;
const MB_TAIL = 1;
const MB_RING = 2;
const MB_CAP = MBOX_WORDS - MB_RING;

export function boot(cpu: number): void {
  slub_init();
  const n = kapi.nrCpuIds;
  const r = kapi.shmAlloc('slab_stress', 8 + n, (reg) => Atomics.store(reg.i32, reg.base + W_SLOT, -1));
  const w = (k: number): number => r.base + k;
  const owner = kapi.shmAlloc('slab_stress.owner', slub_max_objects());
  const mbox = kapi.shmAlloc('slab_stress.mbox', n * MBOX_WORDS);
  const i32 = kapi.shm;
  const fail = (msg: string): void => {
    if (Atomics.compareExchange(i32, w(W_FAIL), 0, 1) === 0) kapi.printk(`slab-stress: FAIL: ${msg}`);
  };
  const stamp = (a: number, tag: number): void => {
    for (let j = 0; j < OBJ_WORDS; j++) i32[a / 4 + j] = tag ^ (j * 0x01010101);
  };
  /** Allocate, claim and stamp an object for owner `id` (1-based); 0 when the cache is full. */
  const get = (s: KmemCache, id: number, seq: number): number => {
    const a = kmem_cache_alloc(s);
    if (a === 0) return 0;
    const idx = slub_obj_index(s, a);
    if (idx < 0) {
      fail(`kmem_cache_alloc returned ${a}, not an object of ${s.name}`);
      return 0;
    }
    const prev = Atomics.compareExchange(i32, owner.base + idx, 0, id);
    if (prev !== 0) fail(`double allocation: object ${idx} handed to owner ${id} while owner ${prev} holds it`);
    stamp(a, (id << 20) ^ seq);
    Atomics.add(i32, w(W_ALLOCS), 1);
    return a;
  };
  /** Check the stamp, release the claim of `id`, free. */
  const put = (s: KmemCache, a: number, id: number): void => {
    const idx = slub_obj_index(s, a);
    const tag = i32[a / 4] ?? 0;
    for (let j = 1; j < OBJ_WORDS; j++) {
      if ((i32[a / 4 + j] ?? 0) !== (tag ^ (j * 0x01010101))) {
        fail(`object ${idx} corrupted while allocated (word ${j})`);
        break;
      }
    }
    if (Atomics.compareExchange(i32, owner.base + idx, id, 0) !== id) fail(`object ${idx} freed by ${id} but not held by it`);
    kmem_cache_free(s, a);
  };
  const mb = (k: number): number => mbox.base + k * MBOX_WORDS;
  const cacheOf = async (): Promise<KmemCache | null> => {
    while (Atomics.load(i32, w(W_SLOT)) < 0) await kapi.scheduleTimeout(1);
    return slub_cache_by_slot(Atomics.load(i32, w(W_SLOT)));
  };

  // One stress kthread per CPU; kthread k sends to k + 1's inbox (mailbox k, single producer and consumer).
  kapi.kthreadRun(async () => {
    const k = cpu;
    const id = k + 1;
    const s = await cacheOf();
    if (s === null) return;
    let seq = 0;
    const irqId = n + 1 + k;
    const timer = kapi.timerSetup(() => {
      // Softirq context: allocate and free on whatever CPU this is, between the task's steps.
      const a = get(s, irqId, ++seq);
      const b = get(s, irqId, ++seq);
      if (a !== 0) put(s, a, irqId);
      if (b !== 0) put(s, b, irqId);
      Atomics.add(i32, w(W_IRQ), 1);
    });
    const held: number[] = [];
    const out = mb(k);
    const inbox = mb((k + n - 1) % n);
    const drain = (): void => {
      // Pairs with the producer's Atomics.store of MB_TAIL after writing the ring entry.
      const tail = Atomics.load(i32, inbox + MB_TAIL);
      let head = Atomics.load(i32, inbox + MB_HEAD);
      while (head !== tail) {
        const a = i32[inbox + MB_RING + (head % MB_CAP)] ?? 0;
        put(s, a, ((k + n - 1) % n) + 1);
        Atomics.add(i32, w(W_REMOTE), 1);
        head++;
      }
      Atomics.store(i32, inbox + MB_HEAD, head);
    };
    while (Atomics.load(i32, w(W_STOP)) === 0) {
      if (!timer.pending) kapi.modTimer(timer, kapi.jiffies() + 1);
      const batch = 1 + ((seq * 7 + k) % 24);
      for (let j = 0; j < batch; j++) {
        const a = get(s, id, ++seq);
        if (a !== 0) held.push(a);
      }
      // Free about two thirds, every fourth one through the next kthread.
      while (held.length > 8) {
        const a = held.shift() as number;
        const tail = Atomics.load(i32, out + MB_TAIL);
        if (seq % 4 === 0 && tail - Atomics.load(i32, out + MB_HEAD) < MB_CAP) {
          i32[out + MB_RING + (tail % MB_CAP)] = a;
          Atomics.store(i32, out + MB_TAIL, tail + 1);
        } else {
          put(s, a, id);
        }
        seq++;
      }
      drain();
      await kapi.schedule();
    }
    kapi.delTimer(timer);
    for (const a of held) put(s, a, id);
    Atomics.store(i32, w(W_DONE + k), 1);
    // Drain after our producer has stopped (its last entries are in).
    while (Atomics.load(i32, w(W_DONE + ((k + n - 1) % n))) === 0) {
      drain();
      await kapi.scheduleTimeout(1);
    }
    drain();
    Atomics.add(i32, w(W_DONE + k), 1);
  }, 'slab_stress');

  if (cpu !== 0) return;
  kapi.kthreadRun(async () => {
    const say = (m: string): void => {
      kapi.printk(`slab-stress: ${m}`);
      kapi.powerOff();
    };
    const s = await kmem_cache_create('slab_stress', OBJ_BYTES, 8, 0, null);
    if (s === null) return say('FAIL: kmem_cache_create');
    Atomics.store(i32, w(W_SLOT), s.slot);
    const victim = n - 1;
    const end = kapi.jiffies() + module_param('slab_stress.secs', 'int', 2) * 1000;
    while (kapi.jiffies() < end && Atomics.load(i32, w(W_FAIL)) === 0) {
      if ((await remove_cpu(victim)) === 0) Atomics.add(i32, w(W_OFFLINES), 1);
      await kapi.scheduleTimeout(5);
      if (!cpu_online(victim)) await add_cpu(victim);
      await kapi.scheduleTimeout(20);
    }
    Atomics.store(i32, w(W_STOP), 1);
    if (!cpu_online(victim)) await add_cpu(victim);
    for (let k = 0; k < n; k++) {
      while (Atomics.load(i32, w(W_DONE + k)) !== 2) await kapi.scheduleTimeout(1);
    }
    if (Atomics.load(i32, w(W_FAIL)) !== 0) return kapi.powerOff();
    for (let idx = 0; idx < owner.words; idx++) {
      const o = Atomics.load(i32, owner.base + idx);
      if (o !== 0) return say(`FAIL: object ${idx} still claimed by ${o}`);
    }
    const st = slub_cpu_dead_stats();
    await kmem_cache_destroy(s);
    say(
      `OK allocs=${Atomics.load(i32, w(W_ALLOCS))} remote-frees=${Atomics.load(i32, w(W_REMOTE))} irq-rounds=${Atomics.load(i32, w(W_IRQ))} ` +
        `offlines=${Atomics.load(i32, w(W_OFFLINES))} flushed=${st.cpuSlabs}/${st.objects}`,
    );
  }, 'slab_stress_ctl');
}
