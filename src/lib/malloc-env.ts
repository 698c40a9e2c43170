// Environment for the proxy process's allocator. Pure.
/**
 * glibc raises its mmap threshold each time a big mmapped block is freed, so after the first long
 * context every later multi-megabyte buffer lands in the heap, and a heap is rarely handed back. A fixed,
 * low threshold keeps request bodies out of the heap: libsoup reads a body in 8 KB chunks, thousands of
 * small blocks for a long context, and one live block above them pins the whole heap once they are freed.
 * At 4 KB each chunk is its own mapping and goes back to the system when freed (measured with 5–7 MB
 * requests: the heap grew 12 MB for good at 128 KB, 5 MB at 8 KB, 1.9 MB at 4 KB; RSS after gjs's idle
 * collection came back to 1 MB of where it started). The cost is a mapping per big block, a few
 * microseconds, on paths that allocate big blocks rarely (bodies, not tokens).
 */
export const PROXY_MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: "4096" };
