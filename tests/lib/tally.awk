# Tallies the log of `cargo test --no-fail-fast -- --test-threads=1 --nocapture`, one test at a time.
# A test is skipped when libtest ignored it or when it printed a line starting with "SKIP:" while it
# ran (a test that cannot run here says so and returns; libtest would call it passed); otherwise it
# passed or failed as libtest says. A test binary that dies mid-test counts that test as failed.
# Prints one line per failed or skipped test ("FAILED bin::test", "SKIPPED bin::test: reason"), then
# "tally: P F S".

function binary(line,    p) {
    # "Running tests/x.rs (target/release/deps/x-0123abcd)" -> "x"
    if (!match(line, /\([^)]*\)/)) return line
    p = substr(line, RSTART + 1, RLENGTH - 2)
    sub(/.*\//, "", p); sub(/-[0-9a-f]+$/, "", p)
    return p
}

function finish(verdict) {
    if (verdict == "ok" && skip_reason != "") verdict = "skip"
    if (verdict == "ok") passed++
    else if (verdict == "skip" || verdict == "ignored") {
        skipped++
        print "SKIPPED " cur ": " (skip_reason != "" ? skip_reason : "ignored")
    } else {
        failed++
        print "FAILED " cur (verdict == "crashed" ? " (the test binary died)" : "")
    }
    cur = ""
}

function output(line) {
    if (line ~ /^SKIP:/ && skip_reason == "") { skip_reason = line; sub(/^SKIP: */, "", skip_reason) }
    if (line == "ok") finish("ok")
    else if (line == "FAILED") finish("FAILED")
    else if (line ~ /^ignored/) finish("ignored")
}

/^ *Running / || /^ *Doc-tests / {
    if (cur != "") finish("crashed")
    bin = $1 == "Doc-tests" ? "doctest " $2 : binary($0)
    next
}

/^test .* \.\.\. / {
    if (cur != "") finish("crashed")
    match($0, /^test .* \.\.\. /)
    cur = bin "::" substr($0, 6, RLENGTH - 10)
    skip_reason = ""
    output(substr($0, RLENGTH + 1))
    next
}

cur != "" { output($0) }

END {
    if (cur != "") finish("crashed")
    printf "tally: %d %d %d\n", passed, failed, skipped
}
