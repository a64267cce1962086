/*
 * The kernel's release and build strings (`uname -r`, `#1`), in a module of their own: the guest's
 * main thread prints them before it starts its CPUs, and importing them from kapi_impl.ts would
 * load the whole CPU runtime into that thread first (harness/cpu/README.md, "Where the time goes").
 */

export const KERNEL_RELEASE = '0.1.0-torture';
export const KERNEL_BUILD = '#1';
