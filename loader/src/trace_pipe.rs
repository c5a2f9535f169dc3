//! tracefs discovery and the trace_pipe reader and line parser.
