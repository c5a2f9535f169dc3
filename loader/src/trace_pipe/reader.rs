//! Streaming trace_pipe: non-blocking reads, poll with short slices so a stop flag or a deadline
//! ends the loop promptly, and line reassembly across reads.

use std::fs::File;
use std::io::{self, Read};
use std::ops::ControlFlow;
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use super::line::TraceLine;
use super::tracefs::Tracefs;

/// Longest wait between checks of the stop flag.
const POLL_SLICE: Duration = Duration::from_millis(100);
/// Bytes per read; trace_pipe hands out whole events up to this size.
const READ_CHUNK: usize = 64 * 1024;
/// A "line" longer than this without a newline is cut and delivered (kernel lines are far
/// shorter; this bounds memory against anything else opened as a pipe).
const MAX_LINE: usize = 64 * 1024;

/// Why [`TracePipe::stream`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamEnd {
    /// The stop flag was set (e.g. by a Ctrl-C handler).
    Stopped,
    /// The deadline passed.
    Deadline,
    /// The callback returned `ControlFlow::Break`.
    Done,
    /// The file reported end of data: a pipe's writer closed, or for trace_pipe, `tracing_on`
    /// was switched to 0 after events had been read (the kernel then returns EOF).
    Eof,
}

/// An open trace_pipe. Reading consumes events for every reader on the system.
#[derive(Debug)]
pub struct TracePipe {
    file: File,
    path: PathBuf,
    lines: LineBuffer,
    chunk: Vec<u8>,
}

impl TracePipe {
    /// Opens `trace_pipe` under a tracefs.
    pub fn open(tracefs: &Tracefs) -> io::Result<TracePipe> {
        TracePipe::open_path(&tracefs.trace_pipe())
    }

    /// Opens a trace_pipe-like file non-blocking; the error names the path.
    pub fn open_path(path: &Path) -> io::Result<TracePipe> {
        let file = File::options()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(path)
            .map_err(|e| io::Error::new(e.kind(), format!("opening {}: {e}", path.display())))?;
        Ok(TracePipe::from_file(file, path.to_owned()))
    }

    /// Wraps an already open, non-blocking file (tests use a pipe).
    pub fn from_file(file: File, path: PathBuf) -> TracePipe {
        TracePipe { file, path, lines: LineBuffer::default(), chunk: vec![0; READ_CHUNK] }
    }

    /// Reads lines as they arrive and hands each to `on_line`, until `stop` is set, `deadline`
    /// passes, `on_line` breaks, or the file reports end of data.
    /// Lines already read but not delivered stay buffered for the next call.
    pub fn stream(
        &mut self,
        stop: &AtomicBool,
        deadline: Option<Instant>,
        mut on_line: impl FnMut(TraceLine) -> ControlFlow<()>,
    ) -> io::Result<StreamEnd> {
        loop {
            while let Some(text) = self.lines.next_line() {
                if on_line(TraceLine::parse(&text)).is_break() {
                    return Ok(StreamEnd::Done);
                }
            }
            if stop.load(Ordering::Relaxed) {
                return Ok(StreamEnd::Stopped);
            }
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d) {
                return Ok(StreamEnd::Deadline);
            }
            match self.file.read(&mut self.chunk) {
                Ok(0) => return Ok(StreamEnd::Eof),
                Ok(n) => self.lines.push(&self.chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    let wait = deadline.map_or(POLL_SLICE, |d| (d - now).min(POLL_SLICE));
                    self.wait_readable(wait)?;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io::Error::new(e.kind(), format!("reading {}: {e}", self.path.display()))),
            }
        }
    }

    /// Delivers the lines that can be read now without waiting, for a caller that waits on
    /// [`AsFd::as_fd`] itself (with other fds: `loader::events::Events::watch`). Returns
    /// `Eof` when the file reports end of data, `Done` when `on_line` breaks, else `Deadline`
    /// (nothing more to read now).
    pub fn read_available(&mut self, mut on_line: impl FnMut(TraceLine) -> ControlFlow<()>) -> io::Result<StreamEnd> {
        loop {
            while let Some(text) = self.lines.next_line() {
                if on_line(TraceLine::parse(&text)).is_break() {
                    return Ok(StreamEnd::Done);
                }
            }
            match self.file.read(&mut self.chunk) {
                Ok(0) => return Ok(StreamEnd::Eof),
                Ok(n) => self.lines.push(&self.chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(StreamEnd::Deadline),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io::Error::new(e.kind(), format!("reading {}: {e}", self.path.display()))),
            }
        }
    }

    /// Waits up to `wait` for data. A wakeup that trace_pipe misses only costs one slice: the
    /// caller reads again regardless.
    fn wait_readable(&self, wait: Duration) -> io::Result<()> {
        let timeout = PollTimeout::try_from(wait).unwrap_or(PollTimeout::MAX);
        let mut fds = [PollFd::new(self.file.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, timeout) {
            Ok(_) | Err(Errno::EINTR) => Ok(()),
            Err(e) => Err(io::Error::new(io::Error::from(e).kind(), format!("poll on {}: {e}", self.path.display()))),
        }
    }
}

impl AsFd for TracePipe {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.file.as_fd()
    }
}

/// Reassembles lines from arbitrary read boundaries.
#[derive(Debug, Default)]
struct LineBuffer {
    buf: Vec<u8>,
    /// Start of the undelivered bytes in `buf`.
    start: usize,
}

impl LineBuffer {
    fn push(&mut self, data: &[u8]) {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// The next complete line without its newline (invalid UTF-8 replaced), or an overlong
    /// fragment cut at [`MAX_LINE`].
    fn next_line(&mut self) -> Option<String> {
        let rest = &self.buf[self.start..];
        let (end, skip) = match rest.iter().position(|&b| b == b'\n') {
            Some(nl) => (nl, 1),
            None if rest.len() >= MAX_LINE => (MAX_LINE, 0),
            None => return None,
        };
        let line = String::from_utf8_lossy(&rest[..end]).into_owned();
        self.start += end + skip;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        Some(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::Arc;

    #[test]
    fn lines_are_reassembled_across_reads() {
        let mut lb = LineBuffer::default();
        lb.push(b"  a-1 [000] d..2 1.000001: e: he");
        assert_eq!(lb.next_line(), None);
        lb.push(b"llo\nsecond\nthi");
        assert_eq!(lb.next_line().as_deref(), Some("  a-1 [000] d..2 1.000001: e: hello"));
        assert_eq!(lb.next_line().as_deref(), Some("second"));
        assert_eq!(lb.next_line(), None);
        lb.push(b"rd\xff\n");
        assert_eq!(lb.next_line().as_deref(), Some("third\u{fffd}"));
        assert!(lb.buf.is_empty());
    }

    #[test]
    fn overlong_fragments_are_cut_not_hoarded() {
        let mut lb = LineBuffer::default();
        lb.push(&vec![b'x'; MAX_LINE + 10]);
        assert_eq!(lb.next_line().map(|l| l.len()), Some(MAX_LINE));
        assert_eq!(lb.next_line(), None);
        lb.push(b"\n");
        assert_eq!(lb.next_line().as_deref(), Some("xxxxxxxxxx"));
    }

    fn pipe() -> (TracePipe, File) {
        let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_NONBLOCK | nix::fcntl::OFlag::O_CLOEXEC).unwrap();
        (TracePipe::from_file(File::from(r), "test-pipe".into()), File::from(w))
    }

    #[test]
    fn streams_lines_until_the_callback_breaks() {
        let (mut tp, mut w) = pipe();
        w.write_all(
            b"  nc-75 [000] d..2 12.345678: bpf_trace_printk: one\nraw line\n  nc-75 [000] d..2 12.5: x: two\n",
        )
        .unwrap();
        let stop = AtomicBool::new(false);
        let mut got = Vec::new();
        let end = tp
            .stream(&stop, Some(Instant::now() + Duration::from_secs(5)), |l| {
                got.push(l.message());
                if got.len() == 2 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            })
            .unwrap();
        assert_eq!(end, StreamEnd::Done);
        assert_eq!(got, ["one", "raw line"]);
        // The third line stays buffered for the next call.
        let end = tp.stream(&stop, None, |l| {
            got.push(l.message());
            ControlFlow::Break(())
        });
        assert_eq!(end.unwrap(), StreamEnd::Done);
        assert_eq!(got[2], "two");
    }

    #[test]
    fn a_deadline_ends_an_idle_stream() {
        let (mut tp, _w) = pipe();
        let stop = AtomicBool::new(false);
        let t0 = Instant::now();
        let end = tp.stream(&stop, Some(t0 + Duration::from_millis(150)), |_| ControlFlow::Continue(())).unwrap();
        assert_eq!(end, StreamEnd::Deadline);
        let took = t0.elapsed();
        assert!(took >= Duration::from_millis(150) && took < Duration::from_secs(2), "{took:?}");
    }

    #[test]
    fn the_stop_flag_ends_a_stream_from_another_thread() {
        let (mut tp, mut w) = pipe();
        let stop = Arc::new(AtomicBool::new(false));
        let setter = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                w.write_all(b"partial").unwrap();
                std::thread::sleep(Duration::from_millis(120));
                stop.store(true, Ordering::Relaxed);
                w // keep the writer open until the flag is set
            })
        };
        let mut seen = 0;
        let end = tp
            .stream(&stop, Some(Instant::now() + Duration::from_secs(10)), |_| {
                seen += 1;
                ControlFlow::Continue(())
            })
            .unwrap();
        assert_eq!(end, StreamEnd::Stopped);
        assert_eq!(seen, 0, "a partial line is not delivered");
        drop(setter.join().unwrap());
    }

    #[test]
    fn a_closed_writer_is_eof_after_the_last_line() {
        let (mut tp, mut w) = pipe();
        w.write_all(b"last\n").unwrap();
        drop(w);
        let mut got = Vec::new();
        let end = tp.stream(&AtomicBool::new(false), None, |l| {
            got.push(l.message());
            ControlFlow::Continue(())
        });
        assert_eq!(end.unwrap(), StreamEnd::Eof);
        assert_eq!(got, ["last"]);
    }

    #[test]
    fn open_errors_name_the_path() {
        let err = TracePipe::open_path(Path::new("/nonexistent/trace_pipe")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/trace_pipe"), "{err}");
    }
}
