//! The 8-byte BPF instruction. It lives here because CO-RE patches instructions; the loader
//! re-exports it and adds disassembly.

use crate::wire::Endian;

/// One BPF instruction slot (`struct bpf_insn`). `ld_imm64` takes two consecutive slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub struct Insn {
    /// Opcode: class in the low 3 bits, then size/mode or op/source.
    pub code: u8,
    /// Destination register (4 bits).
    pub dst: u8,
    /// Source register (4 bits); also the pseudo-source marker for calls and ld_imm64.
    pub src: u8,
    /// Signed offset (jumps, memory accesses).
    pub off: i16,
    /// Signed immediate.
    pub imm: i32,
}

/// Instruction classes (`BPF_CLASS(code)`).
pub mod class {
    /// Load immediate / legacy packet loads.
    pub const LD: u8 = 0x00;
    /// Load from memory into a register.
    pub const LDX: u8 = 0x01;
    /// Store immediate to memory.
    pub const ST: u8 = 0x02;
    /// Store register to memory.
    pub const STX: u8 = 0x03;
    /// 32-bit ALU.
    pub const ALU: u8 = 0x04;
    /// 64-bit jumps.
    pub const JMP: u8 = 0x05;
    /// 32-bit jumps.
    pub const JMP32: u8 = 0x06;
    /// 64-bit ALU.
    pub const ALU64: u8 = 0x07;
}

/// Size field of memory instructions (`BPF_SIZE(code)`).
pub mod size {
    /// 4 bytes.
    pub const W: u8 = 0x00;
    /// 2 bytes.
    pub const H: u8 = 0x08;
    /// 1 byte.
    pub const B: u8 = 0x10;
    /// 8 bytes.
    pub const DW: u8 = 0x18;
}

/// Mode field of memory instructions (`BPF_MODE(code)`).
pub mod mode {
    /// Immediate (ld_imm64).
    pub const IMM: u8 = 0x00;
    /// Register + offset memory access.
    pub const MEM: u8 = 0x60;
    /// Sign-extending load (cpu v4).
    pub const MEMSX: u8 = 0x80;
    /// Atomic operation.
    pub const ATOMIC: u8 = 0xc0;
}

/// ALU and jump operations (`BPF_OP(code)`).
pub mod op {
    /// `+=` / `mov` family members used by CO-RE and linking.
    pub const ADD: u8 = 0x00;
    /// Move.
    pub const MOV: u8 = 0xb0;
    /// Call.
    pub const CALL: u8 = 0x80;
    /// Exit.
    pub const EXIT: u8 = 0x90;
    /// Unconditional jump.
    pub const JA: u8 = 0x00;
}

/// Source field: immediate (`BPF_K`) or register (`BPF_X`).
pub mod src {
    /// Immediate operand.
    pub const K: u8 = 0x00;
    /// Register operand.
    pub const X: u8 = 0x08;
}

/// Pseudo source registers with special meaning.
pub mod pseudo {
    /// ld_imm64: imm is a map fd.
    pub const MAP_FD: u8 = 1;
    /// ld_imm64: imm is a map fd, imm of the second slot an offset into its value.
    pub const MAP_VALUE: u8 = 2;
    /// ld_imm64: imm is a kernel BTF id (ksym).
    pub const BTF_ID: u8 = 3;
    /// ld_imm64: imm is a BPF function's instruction offset.
    pub const FUNC: u8 = 4;
    /// call: imm is a relative instruction offset to a BPF subprogram.
    pub const CALL: u8 = 1;
    /// call: imm is a kernel function's BTF id (kfunc).
    pub const KFUNC_CALL: u8 = 2;
}

/// The ld_imm64 opcode (`BPF_LD | BPF_IMM | BPF_DW`).
pub const LD_IMM64: u8 = class::LD | mode::IMM | size::DW;
/// The call opcode (`BPF_JMP | BPF_CALL`).
pub const CALL: u8 = class::JMP | op::CALL;
/// The exit opcode (`BPF_JMP | BPF_EXIT`).
pub const EXIT: u8 = class::JMP | op::EXIT;

impl Insn {
    /// Size of one slot in bytes.
    pub const SIZE: usize = 8;

    /// Decodes one slot. Register nibbles are ordered by byte order, as in the kernel's bitfields.
    pub fn from_bytes(b: [u8; 8], endian: Endian) -> Insn {
        let (dst, src) = match endian {
            Endian::Little => (b[1] & 0xf, b[1] >> 4),
            Endian::Big => (b[1] >> 4, b[1] & 0xf),
        };
        let off = endian.u16([b[2], b[3]]) as i16;
        let imm = endian.u32([b[4], b[5], b[6], b[7]]) as i32;
        Insn { code: b[0], dst, src, off, imm }
    }

    /// Encodes one slot.
    pub fn to_bytes(self, endian: Endian) -> [u8; 8] {
        let regs = match endian {
            Endian::Little => (self.src << 4) | (self.dst & 0xf),
            Endian::Big => (self.dst << 4) | (self.src & 0xf),
        };
        let off = endian.put_u16(self.off as u16);
        let imm = endian.put_u32(self.imm as u32);
        [self.code, regs, off[0], off[1], imm[0], imm[1], imm[2], imm[3]]
    }

    /// Decodes a whole instruction stream; `None` if the length is not a multiple of 8.
    pub fn decode_all(bytes: &[u8], endian: Endian) -> Option<Vec<Insn>> {
        if !bytes.len().is_multiple_of(Self::SIZE) {
            return None;
        }
        Some(
            bytes
                .chunks_exact(Self::SIZE)
                .map(|c| Insn::from_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]], endian))
                .collect(),
        )
    }

    /// Encodes a stream in the given byte order.
    pub fn encode_all(insns: &[Insn], endian: Endian) -> Vec<u8> {
        insns.iter().flat_map(|i| i.to_bytes(endian)).collect()
    }

    /// The class (`BPF_CLASS`).
    pub fn class(&self) -> u8 {
        self.code & 0x07
    }

    /// True for the first slot of an ld_imm64.
    pub fn is_ld_imm64(&self) -> bool {
        self.code == LD_IMM64
    }

    /// True for a call to a BPF subprogram (not a helper or kfunc).
    pub fn is_pseudo_call(&self) -> bool {
        self.code == CALL && self.src == pseudo::CALL
    }

    /// True for a helper call.
    pub fn is_helper_call(&self) -> bool {
        self.code == CALL && self.src == 0
    }

    /// True for an ld_imm64 that loads a BPF function address.
    pub fn is_pseudo_func(&self) -> bool {
        self.is_ld_imm64() && self.src == pseudo::FUNC
    }

    /// Memory access size in bytes of an LDX/ST/STX, if this is one.
    pub fn mem_size(&self) -> Option<u32> {
        match self.class() {
            class::LDX | class::ST | class::STX => Some(match self.code & 0x18 {
                size::B => 1,
                size::H => 2,
                size::W => 4,
                _ => 8,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_in_both_byte_orders() {
        let i = Insn { code: 0x79, dst: 1, src: 2, off: -8, imm: 0x1234_5678 };
        for e in [Endian::Little, Endian::Big] {
            assert_eq!(Insn::from_bytes(i.to_bytes(e), e), i);
        }
        // r1 = *(u64 *)(r2 - 8) in little endian: regs byte is src<<4 | dst.
        assert_eq!(i.to_bytes(Endian::Little)[..4], [0x79, 0x21, 0xf8, 0xff]);
        assert_eq!(i.mem_size(), Some(8));
    }

    #[test]
    fn partial_streams_are_refused() {
        assert!(Insn::decode_all(&[0u8; 12], Endian::Little).is_none());
        assert_eq!(Insn::decode_all(&[0u8; 16], Endian::Little).unwrap().len(), 2);
    }
}
