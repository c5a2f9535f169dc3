//! The only `unsafe` in rawbpf: bpf(), perf_event_open() and ioctl() with their attribute structs.
