//! How the process's allocator treats the memory a trial frees.
//!
//! A trial allocates its working state (meters, per-step block arrays, weather, its record's
//! bytes), most of it in chunks of hundreds of kB, and frees it when the trial ends. glibc's
//! allocator hands such chunks back to the kernel (`munmap`, or trimming an arena's top) once
//! they pass its thresholds, so the next trial takes the same amount fresh from the kernel and
//! faults it in page by page: ~350 page faults a trial for a study that streams its traces
//! (above ~350 trial-years of the default study), each a zeroed page, and on a virtual machine
//! whose host reclaims freed memory each fault goes out to the host. Keeping freed memory in the
//! process for the next trial costs a few MB of resident memory and no faults.
//!
//! Measured 7 December 2026 (2 cores, Firecracker VM), the binary before and after: 41 default
//! trials with streamed traces (`DCLOAD_TRACE_MEMORY_MB=0`, 2 threads), 19,264 page faults
//! against 4,156; 1,000 default trials on 2 threads (streamed), 21.20 / 21.43 s wall against
//! 20.44 / 20.71 s, system time 3.0-3.5 s against 1.7-2.2 s, peak memory 74-77 MB against
//! 80-83 MB. A study that keeps its traces in memory grows by its traces and faults them in
//! either way (unchanged).

/// Largest chunk the allocator serves from its arenas rather than mapping on its own (and
/// unmapping when freed): above any one per-trial buffer, below a study's trace buffers; 64-bit
/// glibc's ceiling for this setting.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: i32 = 32 << 20;

/// Free memory at an arena's top kept rather than returned to the kernel.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_THRESHOLD: i32 = 256 << 20;

/// Keeps memory a trial frees in the process for the next (see the module's doc); a no-op
/// where the allocator is not glibc's. The binary calls it first thing in `main`; the library
/// leaves the allocator to whoever embeds it.
///
/// # Safety
///
/// Call it before any other thread exists: glibc's `mallopt` is not safe while other threads
/// allocate (their arenas read the values it sets without its lock).
pub unsafe fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` sets two of the allocator's tuning parameters; it takes plain integers
    // and touches no memory of ours, and the caller guarantees no other thread exists (this
    // function's contract). Its result (0 when a value is refused) leaves the defaults in
    // place, which are correct, only slower.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
    }
}
