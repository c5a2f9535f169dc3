//! The perf record parser on hand-made rings: wrapped records, losses, and broken headers.

use super::*;

fn record(kind: u32, body: &[u8]) -> Vec<u8> {
    let mut r = kind.to_ne_bytes().to_vec();
    r.extend_from_slice(&0u16.to_ne_bytes());
    r.extend_from_slice(&((8 + body.len()) as u16).to_ne_bytes());
    r.extend_from_slice(body);
    r
}

fn sample(data: &[u8]) -> Vec<u8> {
    let mut body = (data.len() as u32).to_ne_bytes().to_vec();
    body.extend_from_slice(data);
    record(PERF_RECORD_SAMPLE, &body)
}

#[test]
fn samples_and_losses_are_parsed_in_order() {
    let mut ring = sample(b"abcd");
    let mut lost = 7u64.to_ne_bytes().to_vec(); // id
    lost.extend_from_slice(&3u64.to_ne_bytes());
    ring.extend(record(PERF_RECORD_LOST, &lost));
    ring.extend(record(42, &[0; 8]));
    let mut scratch = Vec::new();
    let (r, n) = parse(&ring, &[], 0, &mut scratch).unwrap().unwrap();
    assert_eq!((r, n), (Parsed::Sample(b"abcd"), 16));
    let (r, m) = parse(&ring, &[], n, &mut scratch).unwrap().unwrap();
    assert_eq!((r, m), (Parsed::Lost(3), 24));
    let (r, k) = parse(&ring, &[], n + m, &mut scratch).unwrap().unwrap();
    assert_eq!((r, k), (Parsed::Other, 16));
    assert_eq!(parse(&ring, &[], n + m + k, &mut scratch), Ok(None));
}

#[test]
fn a_record_wrapping_the_ring_end_is_copied_out_whole() {
    let rec = sample(b"0123456789abcdef");
    for cut in 1..rec.len() {
        let (a, b) = rec.split_at(cut);
        let mut scratch = Vec::new();
        let (r, n) = parse(a, b, 0, &mut scratch).unwrap().unwrap();
        assert_eq!((r, n), (Parsed::Sample(b"0123456789abcdef"), rec.len()), "cut at {cut}");
    }
}

#[test]
fn broken_records_are_errors_not_panics() {
    let mut scratch = Vec::new();
    // Size smaller than the header.
    let mut r = sample(b"abcd");
    r[6..8].copy_from_slice(&4u16.to_ne_bytes());
    assert_eq!(parse(&r, &[], 0, &mut scratch), Err(RecordProblem::ShortHeader { size: 4 }));
    // Size past the written bytes.
    r[6..8].copy_from_slice(&200u16.to_ne_bytes());
    assert_eq!(parse(&r, &[], 0, &mut scratch), Err(RecordProblem::PastData { size: 200, available: 16 }));
    // Raw data longer than its record.
    let mut r = sample(b"abcd");
    r[8..12].copy_from_slice(&u32::MAX.to_ne_bytes());
    assert_eq!(parse(&r, &[], 0, &mut scratch), Err(RecordProblem::RawPastRecord { raw: u32::MAX, size: 16 }));
    // A header cut short.
    assert_eq!(parse(&r[..5], &[], 0, &mut scratch), Err(RecordProblem::PastData { size: 8, available: 5 }));
    // A lost record without its counters.
    let short_lost = record(PERF_RECORD_LOST, &[0; 4]);
    assert!(matches!(parse(&short_lost, &[], 0, &mut scratch), Err(RecordProblem::PastData { .. })));
}

#[test]
fn cpu_lists_are_parsed_and_bounded() {
    assert_eq!(parse_cpu_indices("0-3,8,10-11\n"), Some(vec![0, 1, 2, 3, 8, 10, 11]));
    assert_eq!(parse_cpu_indices("0"), Some(vec![0]));
    assert_eq!(parse_cpu_indices("3-1"), None);
    assert_eq!(parse_cpu_indices("0-4294967295"), None);
    assert_eq!(parse_cpu_indices("x"), None);
}
