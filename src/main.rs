use std::process::ExitCode;

/// mimalloc instead of glibc malloc: requests allocate many short-lived strings on several
/// threads, and glibc's arena locks and consolidation cost about a third more time per
/// request (A/B in docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    liaison::cli::main()
}
