//! The mirror checked against its source, as Tetragon's alignchecker does:
//! every constant against `bpf/cinch.h`, every struct's size and field
//! offsets against the BTF of the compiled object that is loaded
//! (each of `bpf/cinch-*.bpf.o`), and the recorded-argument list against the trace
//! format's. No root and no kernel needed.

use super::*;
use std::collections::BTreeMap;
use std::mem::{offset_of, size_of};

const HEADER: &str = include_str!("../../bpf/cinch.h");

/// `#define CINCH_NAME value` lines with a plain numeric value, by NAME.
fn header_constants() -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for line in HEADER.lines() {
        let Some(rest) = line.strip_prefix("#define CINCH_") else { continue };
        let rest = rest.split("/*").next().unwrap_or_default();
        let Some((name, value)) = rest.split_once(char::is_whitespace) else { continue };
        if name.contains('(') || name.ends_with("_H") {
            continue; // a macro with parameters, or the include guard
        }
        let value = evaluate(value).unwrap_or_else(|| panic!("cinch.h: CINCH_{name}: cannot read {value:?}"));
        out.insert(name.to_string(), value);
    }
    out
}

/// The value of a constant expression as cinch.h writes them: `1024`,
/// `0xffffffffu`, `(1u << 3)`, `4 << 20`.
fn evaluate(text: &str) -> Option<u64> {
    let text = text.trim().trim_start_matches('(').trim_end_matches(')').trim();
    if let Some((a, b)) = text.split_once("<<") {
        return Some(evaluate(a)? << evaluate(b)?);
    }
    let digits = text.trim_end_matches(['u', 'U', 'l', 'L']);
    match digits.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => digits.parse().ok(),
    }
}

#[test]
fn every_constant_matches_the_header_and_every_define_is_mirrored() {
    let header = header_constants();
    assert!(header.len() > 40, "cinch.h read: {} constants", header.len());
    let mirror: BTreeMap<String, u64> = CONSTANTS.iter().map(|(n, v)| (n.to_string(), *v)).collect();
    for (name, value) in &header {
        assert_eq!(mirror.get(name), Some(value), "CINCH_{name} in cinch.h vs abi::{name}");
    }
    for name in mirror.keys() {
        assert!(header.contains_key(name), "abi::{name} has no CINCH_{name} in cinch.h");
    }
}

#[test]
fn the_header_check_reads_what_it_must() {
    assert_eq!(evaluate("(1u << 14)"), Some(1 << 14));
    assert_eq!(evaluate("0xffffffffu"), Some(0xffff_ffff));
    assert_eq!(evaluate("4 << 20"), Some(4 << 20));
    assert_eq!(evaluate("CINCH_PATH_MAX"), None);
}

#[test]
fn recorded_arguments_are_the_ones_the_trace_format_names() {
    let mut in_list = false;
    let mut from_header = BTreeMap::new();
    for line in HEADER.lines() {
        if line.starts_with("#define CINCH_RECORDED_ARGS(X)") {
            in_list = true;
            continue;
        }
        if !in_list {
            continue;
        }
        let entry = line.trim().trim_end_matches('\\').trim();
        let Some(inner) = entry.strip_prefix("X(").and_then(|e| e.strip_suffix(')')) else { break };
        let (name, count) = inner.split_once(',').expect("X(name, count)");
        from_header.insert(name.trim().to_string(), count.trim().parse::<usize>().expect("a count"));
        if !line.ends_with('\\') {
            break;
        }
    }
    let from_trace_format: BTreeMap<String, usize> =
        cinch_profiles::arch::RECORDED_ARGS.iter().map(|(name, args)| (name.to_string(), args.len())).collect();
    assert!(!from_header.is_empty(), "CINCH_RECORDED_ARGS not found in cinch.h");
    assert_eq!(from_header, from_trace_format, "CINCH_RECORDED_ARGS (cinch.h) vs RECORDED_ARGS (profiles/src/arch.rs)");
    let capacity = size_of_field(|f: &Fact| &f.args) / size_of::<u64>();
    for (name, count) in &from_header {
        assert!(*count <= capacity, "{name}: a fact holds {capacity} arguments");
    }
}

/// One field of a Rust mirror: the C name, its offset and size in Rust.
struct Field {
    c_name: &'static str,
    offset: usize,
    size: usize,
}

fn size_of_field<S, T>(_: fn(&S) -> &T) -> usize {
    size_of::<T>()
}

macro_rules! fields {
    ($ty:ty { $($field:ident $(as $c:literal)?),* $(,)? }) => {
        vec![$(Field {
            c_name: fields!(@name $field $($c)?),
            offset: offset_of!($ty, $field),
            size: size_of_field(|s: &$ty| &s.$field),
        }),*]
    };
    (@name $field:ident) => { stringify!($field) };
    (@name $field:ident $c:literal) => { $c };
}

#[test]
fn every_struct_has_the_size_and_offsets_of_the_objects_btf() {
    for object in &crate::objects::OBJECTS {
        structs_match_the_btf_of(&Btf::of_object(object.bytes));
    }
}

/// The comparison for one object (each architecture and build has its own BTF).
fn structs_match_the_btf_of(btf: &Btf) {
    let mirrors: Vec<(&str, usize, Vec<Field>)> = vec![
        ("cinch_fact", size_of::<Fact>(), fields!(Fact { kind, nr, slot, pad, args })),
        ("cinch_refusal", size_of::<Refusal>(), fields!(Refusal { slot, nr, error, tgid, ns_tgid, pad })),
        ("cinch_refusal_fact", size_of::<RefusalFact>(), fields!(RefusalFact { kind, pad, key, comm })),
        (
            "cinch_slot",
            size_of::<Slot>(),
            fields!(Slot {
                mntns,
                creator_tgid,
                processes,
                cgroup,
                cgroup_v1,
                filtered,
                pad,
                filtered_cgroup,
                filtered_cgroup_v1
            }),
        ),
        (
            "cinch_net_fact",
            size_of::<NetFact>(),
            fields!(NetFact { kind, slot, op, error, family, socket_type as "type", port, path_len, addr, path, pad }),
        ),
    ];
    for (name, size, fields) in mirrors {
        let c = btf.struct_named(name);
        assert_eq!(c.size, size, "sizeof(struct {name})");
        let names: Vec<&str> = fields.iter().map(|f| f.c_name).collect();
        let c_names: Vec<&str> = c.members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, c_names, "fields of struct {name}, in order");
        for (field, member) in fields.iter().zip(&c.members) {
            assert_eq!(field.offset, member.offset, "offset of {name}.{}", member.name);
            assert_eq!(field.size, member.size, "size of {name}.{}", member.name);
        }
    }

    // The path fact travels as its header plus as much of `data` as used.
    let c = btf.struct_named("cinch_path_fact");
    let header = fields!(PathFactHeader {
        kind,
        slot,
        access,
        error,
        flags,
        fs_magic,
        ns_tgid,
        ns_tid,
        tgid,
        fsuid,
        fsgid,
        pad,
        len
    });
    let (data, c_header) = c.members.split_last().expect("members");
    assert_eq!(data.name, "data");
    assert_eq!(data.offset, PATH_FACT_HEADER, "CINCH_PATH_FACT_HEADER is where data starts");
    assert_eq!(size_of::<PathFactHeader>(), PATH_FACT_HEADER);
    assert_eq!((data.size, c.size), (PATH_DATA, PATH_FACT_HEADER + PATH_DATA));
    assert_eq!(
        header.iter().map(|f| f.c_name).collect::<Vec<_>>(),
        c_header.iter().map(|m| m.name.as_str()).collect::<Vec<_>>()
    );
    for (field, member) in header.iter().zip(c_header) {
        assert_eq!((field.offset, field.size), (member.offset, member.size), "cinch_path_fact.{}", member.name);
    }
}

#[test]
fn the_btf_check_sees_a_layout_that_drifted() {
    // The same comparison, on a mirror that is wrong on purpose: it must fail.
    #[repr(C)]
    struct Drifted {
        kind: u32,
        nr: u64,
    }
    let btf = Btf::of_object(crate::objects::OBJECTS[0].bytes);
    let c = btf.struct_named("cinch_fact");
    let fields = fields!(Drifted { kind, nr });
    assert_ne!((fields[1].offset, fields[1].size), (c.members[1].offset, c.members[1].size));
    assert_ne!(size_of::<Drifted>(), c.size);
}

/// What the checks need of BTF (the kernel's `Documentation/bpf/btf.rst`):
/// struct members with their byte offsets and sizes.
struct Btf {
    types: Vec<BtfType>,
    strings: Vec<u8>,
}

#[derive(Debug, Clone)]
enum BtfType {
    Int {
        size: usize,
    },
    Array {
        elem: u32,
        count: usize,
    },
    Struct {
        name: u32,
        size: usize,
        members: Vec<(u32, u32, u32)>,
    },
    /// typedef, volatile, const, restrict, type tag: the type they wrap.
    Alias {
        of: u32,
    },
    Enum {
        size: usize,
    },
    /// Pointers and everything the checks do not look into.
    Other {
        size: usize,
    },
}

struct CStruct {
    size: usize,
    members: Vec<Member>,
}

struct Member {
    name: String,
    offset: usize,
    size: usize,
}

impl Btf {
    fn of_object(object: &[u8]) -> Btf {
        use object::{Object, ObjectSection};
        let file = object::File::parse(object).expect("the BPF object is an ELF file");
        let section = file.section_by_name(".BTF").expect("the object has BTF");
        Btf::parse(section.data().expect(".BTF data"))
    }

    fn parse(data: &[u8]) -> Btf {
        let u32_at = |at: usize| u32::from_le_bytes(data[at..at + 4].try_into().expect("4 bytes"));
        assert_eq!(u16::from_le_bytes([data[0], data[1]]), 0xeb9f, "BTF magic (little-endian object)");
        let hdr_len = u32_at(4) as usize;
        let (type_off, type_len) = (u32_at(8) as usize, u32_at(12) as usize);
        let (str_off, str_len) = (u32_at(16) as usize, u32_at(20) as usize);
        let strings = data[hdr_len + str_off..hdr_len + str_off + str_len].to_vec();
        let mut types = vec![BtfType::Other { size: 0 }]; // id 0 is void
        let mut at = hdr_len + type_off;
        let end = at + type_len;
        while at < end {
            let (name, info, size_or_type) = (u32_at(at), u32_at(at + 4), u32_at(at + 8));
            at += 12;
            let vlen = (info & 0xffff) as usize;
            let kind = (info >> 24) & 0x1f;
            let bitfields = info >> 31 == 1;
            let ty = match kind {
                1 => {
                    at += 4;
                    BtfType::Int { size: size_or_type as usize }
                }
                3 => {
                    let (elem, count) = (u32_at(at), u32_at(at + 8) as usize);
                    at += 12;
                    BtfType::Array { elem, count }
                }
                4 | 5 => {
                    let members = (0..vlen)
                        .map(|i| {
                            let m = at + 12 * i;
                            let offset = u32_at(m + 8);
                            (u32_at(m), u32_at(m + 4), if bitfields { offset & 0xff_ffff } else { offset })
                        })
                        .collect();
                    at += 12 * vlen;
                    BtfType::Struct { name, size: size_or_type as usize, members }
                }
                6 => {
                    at += 8 * vlen;
                    BtfType::Enum { size: size_or_type as usize }
                }
                19 => {
                    at += 12 * vlen;
                    BtfType::Enum { size: size_or_type as usize }
                }
                8..=11 | 18 => BtfType::Alias { of: size_or_type },
                13 => {
                    at += 8 * vlen;
                    BtfType::Other { size: 0 }
                }
                14 | 17 => {
                    at += 4;
                    BtfType::Other { size: 0 }
                }
                15 => {
                    at += 12 * vlen;
                    BtfType::Other { size: size_or_type as usize }
                }
                2 => BtfType::Other { size: 8 },
                7 | 12 | 16 => BtfType::Other { size: size_or_type as usize },
                other => panic!("BTF kind {other} is not known to this reader"),
            };
            types.push(ty);
        }
        Btf { types, strings }
    }

    fn name(&self, offset: u32) -> String {
        let bytes = &self.strings[offset as usize..];
        let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
        String::from_utf8_lossy(&bytes[..end]).into_owned()
    }

    fn size(&self, id: u32) -> usize {
        match &self.types[id as usize] {
            BtfType::Int { size } | BtfType::Enum { size } | BtfType::Other { size } => *size,
            BtfType::Struct { size, .. } => *size,
            BtfType::Array { elem, count } => self.size(*elem) * count,
            BtfType::Alias { of } => self.size(*of),
        }
    }

    fn struct_named(&self, wanted: &str) -> CStruct {
        let found = self.types.iter().find_map(|ty| match ty {
            BtfType::Struct { name, size, members } if self.name(*name) == wanted => Some((*size, members)),
            _ => None,
        });
        let (size, members) = found.unwrap_or_else(|| panic!("struct {wanted} is not in the object's BTF"));
        let members = members
            .iter()
            .map(|(name, ty, bits)| {
                assert_eq!(bits % 8, 0, "{wanted}: a bitfield");
                Member { name: self.name(*name), offset: (*bits / 8) as usize, size: self.size(*ty) }
            })
            .collect();
        CStruct { size, members }
    }
}
