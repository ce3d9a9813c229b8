//! Wider pipes for `screen`.
//!
//! A pipe holds 64 KiB by default, about 14 compact `screen` lines (4.5 KB each for ten-item
//! regimens). Writing into one, `screen` waits on the reader every few lines, and each wait is
//! a switch between processes. Piped into `cat` on the other core, one thread pinned screened
//! 74,000 to 81,000 lines/s; with a 1 MiB pipe, 103,000 to 160,000 (median 131,000, five runs
//! each in turn); into `/dev/null`, about 200,000.

/// The capacity asked for: 1 MiB, Linux's default limit for an unprivileged process
/// (`/proc/sys/fs/pipe-max-size`).
#[cfg(target_os = "linux")]
const WANTED: usize = 1 << 20;

/// Raises the capacity of standard output, where it is a pipe, to 1 MiB, or to the system's
/// limit where that is lower. Anything else (a file, a terminal), a pipe already as large, or a
/// refusal is left as it is: the output is the same either way. (Standard input is left alone:
/// at about 1 KB a line, widening its pipe made no difference that could be measured.)
pub fn widen_stdout_pipe() {
    #[cfg(target_os = "linux")]
    {
        let size = std::fs::read_to_string("/proc/sys/fs/pipe-max-size")
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok())
            .map_or(WANTED, |limit| limit.min(WANTED));
        let out = std::io::stdout();
        // F_GETPIPE_SZ fails on anything but a pipe.
        if rustix::pipe::fcntl_getpipe_size(&out).is_ok_and(|now| now < size) {
            let _ = rustix::pipe::fcntl_setpipe_size(&out, size);
        }
    }
}
