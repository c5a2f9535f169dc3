# Coverage-guided libFuzzer on stable Rust: the SanitizerCoverage pass and flags cargo-fuzz
# passes (without a sanitizer, which needs nightly). Without them libFuzzer gets no coverage
# signal, shrinks the corpus to one empty input and mutates that: a run that proves nothing.
# Source from a fuzz crate's directory; `fuzz_build` prints the directory of the binaries.
fuzz_build() {
  local triple
  triple=$(rustc -vV | sed -n 's/^host: //p')
  # --target keeps RUSTFLAGS off build scripts and proc macros, which must not be instrumented.
  RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks" \
    cargo build --release -q --target "$triple" --target-dir target/cov >&2
  echo "target/cov/$triple/release"
}

# fuzz_run BIN CORPUS_DIR [libFuzzer flags...]: FUZZ_SECONDS (default 20) of fuzzing; fails,
# with the end of the log, when libFuzzer reports a crash, a timeout or an out-of-memory, or
# when the run saw no coverage (an uninstrumented build).
fuzz_run() {
  local bin=$1 corpus=$2 log
  shift 2
  log=$(mktemp)
  echo "fuzz: $(basename "$bin") for ${FUZZ_SECONDS:-20} s from $(ls "$corpus" | wc -l) seeds"
  if ! "$bin" "$corpus" -max_total_time="${FUZZ_SECONDS:-20}" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
      "$@" >"$log" 2>&1; then
    tail -n 40 "$log"; echo "fuzz: $(basename "$bin") found a crash"; rm -f "$log"; return 1
  fi
  if ! grep -q 'INITED cov: [1-9]' "$log"; then
    tail -n 20 "$log"; echo "fuzz: $(basename "$bin") ran without coverage (not instrumented)"; rm -f "$log"; return 1
  fi
  grep -E 'INITED|stat::number_of_executed_units' "$log"
  rm -f "$log"
}
