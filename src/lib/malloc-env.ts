// Environment for the proxy process's allocator. Pure.
/**
 * glibc raises its mmap threshold each time a big mmapped block is freed, so after the first long
 * context every later multi-megabyte buffer lands in the heap, and a heap is rarely handed back. A fixed
 * threshold (glibc's own starting value) keeps big buffers mmapped: freed, they go back to the system
 * (measured: a proxy that served 6 MB requests kept +40 MB of heap without it, +2 MB with it).
 */
export const PROXY_MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: "131072" };
