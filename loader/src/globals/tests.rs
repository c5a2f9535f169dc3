use btf::wire::Endian;
use btf::BtfBuilder;

use super::encode;
use super::ValueProblem;

#[test]
fn integers_take_their_range_and_byte_order() {
    let mut b = BtfBuilder::new();
    let u16_ = b.int("unsigned short", 2, false);
    let s32 = b.int("int", 4, true);
    let btf = btf::Btf::parse(b.build()).unwrap();
    assert_eq!(encode::value(&btf, u16_, "0x1234", Endian::Little).unwrap(), [0x34, 0x12]);
    assert_eq!(encode::value(&btf, u16_, "0x1234", Endian::Big).unwrap(), [0x12, 0x34]);
    assert_eq!(encode::value(&btf, s32, "-1", Endian::Little).unwrap(), [0xff; 4]);
    assert_eq!(encode::value(&btf, s32, "-2147483648", Endian::Little).unwrap(), [0, 0, 0, 0x80]);
    assert!(matches!(
        encode::value(&btf, u16_, "65536", Endian::Little),
        Err(ValueProblem::OutOfRange { min: 0, max: 65535, .. })
    ));
    assert!(matches!(encode::value(&btf, u16_, "-1", Endian::Little), Err(ValueProblem::OutOfRange { .. })));
    assert!(matches!(encode::value(&btf, s32, "12a", Endian::Little), Err(ValueProblem::NotANumber { .. })));
    assert!(matches!(encode::value(&btf, s32, "", Endian::Little), Err(ValueProblem::NotANumber { .. })));
}
