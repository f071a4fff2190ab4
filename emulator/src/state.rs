//! The state report (`--state-out`): every vcpu's model address space, as
//! one line of JSON. [`State`] is its one writer ([`State::to_json`]) and
//! its one reader ([`State::parse`]); the format is described in the
//! crate docs.

use std::fmt::{self, Write as _};

use ucas_core::Generation;
use ucas_core::abi::UcasMapping;

use super::model::Model;

/// What the kernel model holds at the end of a run, or what a program's
/// own mirror claims (to compare the two).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// The modelled kernel generation.
    pub generation: Generation,
    /// Every VM created, in creation order (the index is the VM number).
    pub vms: Vec<VmState>,
}

/// One VM of a [`State`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmState {
    /// Whether it is a ucontrol VM.
    pub ucontrol: bool,
    /// Its vcpus, in creation order.
    pub vcpus: Vec<VcpuState>,
}

/// One vcpu of a [`VmState`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VcpuState {
    /// The vcpu id.
    pub id: u32,
    /// Its mapped ranges in vcpu-address order, maximal runs contiguous in
    /// both vcpu and user address.
    pub extents: Vec<UcasMapping>,
}

/// Why a text is not a state report: the byte offset where reading stopped
/// and what was expected there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateParseError {
    /// Byte offset into the text.
    pub offset: usize,
    /// What the reader wanted at that offset.
    pub expected: &'static str,
}

impl fmt::Display for StateParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not a ucas state report: expected {} at byte {}",
            self.expected, self.offset
        )
    }
}

impl std::error::Error for StateParseError {}

impl State {
    /// The model's state.
    pub(crate) fn of<const N: usize>(model: &Model<N>) -> Self {
        Self {
            generation: model.generation(),
            vms: model
                .vms()
                .iter()
                .map(|vm| VmState {
                    ucontrol: vm.is_ucontrol(),
                    vcpus: vm.vcpu_states(),
                })
                .collect(),
        }
    }

    /// The report: one line of JSON and a newline.
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut s = String::new();
        // Writing to a String cannot fail.
        let _ = write!(
            s,
            "{{\"generation\":\"{}\",\"vms\":[",
            self.generation.letter()
        );
        for (i, vm) in self.vms.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            let _ = write!(s, "{{\"vm\":{i},\"ucontrol\":{},\"vcpus\":[", vm.ucontrol);
            for (j, vcpu) in vm.vcpus.iter().enumerate() {
                if j > 0 {
                    s.push(',');
                }
                let _ = write!(s, "{{\"id\":{},\"extents\":[", vcpu.id);
                for (k, e) in vcpu.extents.iter().enumerate() {
                    if k > 0 {
                        s.push(',');
                    }
                    let _ = write!(
                        s,
                        "{{\"vcpu_addr\":{},\"user_addr\":{},\"length\":{}}}",
                        e.vcpu_addr, e.user_addr, e.length
                    );
                }
                s.push_str("]}");
            }
            s.push_str("]}");
        }
        s.push_str("]}\n");
        s
    }

    /// Reads a report written by [`to_json`](Self::to_json) (white space
    /// between tokens is allowed; the keys come in the written order).
    ///
    /// # Errors
    /// [`StateParseError`] naming the first byte that does not fit.
    pub fn parse(text: &str) -> Result<Self, StateParseError> {
        let mut r = Reader { text, at: 0 };
        r.token("{")?;
        r.key("generation")?;
        r.token("\"")?;
        let generation = match r.byte() {
            Some(b'A') => Generation::A,
            Some(b'B') => Generation::B,
            Some(b'C') => Generation::C,
            _ => return Err(r.fail("a generation letter A, B or C")),
        };
        r.at += 1;
        r.token("\"")?;
        r.token(",")?;
        r.key("vms")?;
        let mut vms = Vec::new();
        r.list(|r| {
            r.token("{")?;
            r.key("vm")?;
            if r.number()? != u64::try_from(vms.len()).unwrap_or(u64::MAX) {
                return Err(r.fail("the VM's index in creation order"));
            }
            r.token(",")?;
            r.key("ucontrol")?;
            let ucontrol = r.boolean()?;
            r.token(",")?;
            r.key("vcpus")?;
            let mut vcpus = Vec::new();
            r.list(|r| {
                r.token("{")?;
                r.key("id")?;
                r.space();
                let start = r.at;
                let id = u32::try_from(r.number()?).map_err(|_| StateParseError {
                    offset: start,
                    expected: "a 32-bit vcpu id",
                })?;
                r.token(",")?;
                r.key("extents")?;
                let mut extents = Vec::new();
                r.list(|r| {
                    r.token("{")?;
                    r.key("vcpu_addr")?;
                    let vcpu_addr = r.number()?;
                    r.token(",")?;
                    r.key("user_addr")?;
                    let user_addr = r.number()?;
                    r.token(",")?;
                    r.key("length")?;
                    let length = r.number()?;
                    r.token("}")?;
                    extents.push(UcasMapping {
                        user_addr,
                        vcpu_addr,
                        length,
                    });
                    Ok(())
                })?;
                r.token("}")?;
                vcpus.push(VcpuState { id, extents });
                Ok(())
            })?;
            r.token("}")?;
            vms.push(VmState { ucontrol, vcpus });
            Ok(())
        })?;
        r.token("}")?;
        r.space();
        if r.at != text.len() {
            return Err(r.fail("the end of the report"));
        }
        Ok(Self { generation, vms })
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.to_json().trim_end())
    }
}

/// A cursor over the report's text.
struct Reader<'a> {
    text: &'a str,
    at: usize,
}

impl Reader<'_> {
    fn fail(&self, expected: &'static str) -> StateParseError {
        StateParseError {
            offset: self.at,
            expected,
        }
    }

    fn byte(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn space(&mut self) {
        while self.byte().is_some_and(|b| b.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    fn token(&mut self, t: &'static str) -> Result<(), StateParseError> {
        self.space();
        if self.text[self.at..].starts_with(t) {
            self.at += t.len();
            Ok(())
        } else {
            Err(self.fail(t))
        }
    }

    fn key(&mut self, name: &'static str) -> Result<(), StateParseError> {
        self.space();
        let rest = &self.text[self.at..];
        let quoted = rest
            .strip_prefix('"')
            .and_then(|r| r.strip_prefix(name))
            .and_then(|r| r.strip_prefix('"'));
        match quoted {
            Some(after) => {
                self.at = self.text.len() - after.len();
                self.token(":")
            }
            None => Err(self.fail(name)),
        }
    }

    /// An exact unsigned 64-bit decimal integer.
    fn number(&mut self) -> Result<u64, StateParseError> {
        self.space();
        let digits = self.text[self.at..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        let n = self.text[self.at..self.at + digits]
            .parse()
            .map_err(|_| self.fail("an unsigned 64-bit integer"))?;
        self.at += digits;
        Ok(n)
    }

    fn boolean(&mut self) -> Result<bool, StateParseError> {
        self.space();
        for (word, value) in [("true", true), ("false", false)] {
            if self.text[self.at..].starts_with(word) {
                self.at += word.len();
                return Ok(value);
            }
        }
        Err(self.fail("true or false"))
    }

    /// `[item, item, …]`, each read by `item`.
    fn list(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<(), StateParseError>,
    ) -> Result<(), StateParseError> {
        self.token("[")?;
        self.space();
        if self.byte() == Some(b']') {
            self.at += 1;
            return Ok(());
        }
        loop {
            item(self)?;
            self.space();
            match self.byte() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(());
                }
                _ => return Err(self.fail(", or ]")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Answer, Ioctl};

    fn sample() -> Model<8> {
        // C: the last segment of the address space can be mapped (A and B
        // reject a range ending at 2^64 as wrapping).
        let mut m = Model::<8>::new(Generation::C, None);
        assert_eq!(
            m.dev_ioctl(Some(Ioctl::CreateVm), 1, true),
            Answer::NewVm(0)
        );
        assert_eq!(
            m.dev_ioctl(Some(Ioctl::CreateVm), 0, true),
            Answer::NewVm(1)
        );
        let Answer::NewVcpu(v) = m.vm_ioctl(0, Some(Ioctl::CreateVcpu), 2, None) else {
            panic!()
        };
        let _ = m.vm_ioctl(0, Some(Ioctl::CreateVcpu), 0, None);
        let map = UcasMapping {
            user_addr: 1 << 30,
            vcpu_addr: u64::MAX - (1 << 20) + 1,
            length: 1 << 20,
        };
        assert_eq!(
            m.vcpu_ioctl(v, Some(Ioctl::UcasMap), 0, Some(map)),
            Answer::Value(0)
        );
        m
    }

    #[test]
    fn renders_vms_vcpus_and_extents() {
        assert_eq!(
            State::of(&sample()).to_json(),
            "{\"generation\":\"C\",\"vms\":[\
             {\"vm\":0,\"ucontrol\":true,\"vcpus\":[\
             {\"id\":2,\"extents\":[{\"vcpu_addr\":18446744073708503040,\"user_addr\":1073741824,\"length\":1048576}]},\
             {\"id\":0,\"extents\":[]}]},\
             {\"vm\":1,\"ucontrol\":false,\"vcpus\":[]}]}\n"
        );
    }

    #[test]
    fn empty_model() {
        assert_eq!(
            State::of(&Model::<8>::new(Generation::A, None)).to_json(),
            "{\"generation\":\"A\",\"vms\":[]}\n"
        );
    }

    #[test]
    fn reads_what_it_writes() {
        let state = State::of(&sample());
        assert_eq!(State::parse(&state.to_json()), Ok(state.clone()));
        // White space between tokens is fine.
        let spaced = state.to_json().replace(',', " ,\n ").replace(':', ": ");
        assert_eq!(State::parse(&spaced), Ok(state));
    }

    #[test]
    fn rejects_what_is_not_a_report() {
        for (text, offset) in [
            ("", 0),
            ("{\"generation\":\"D\",\"vms\":[]}", 15),
            ("{\"generation\":\"A\",\"vms\":[]} x", 28),
            ("{\"generation\":\"A\",\"vms\":[{\"vm\":1,", 32),
            (
                "{\"generation\":\"A\",\"vms\":[{\"vm\":0,\"ucontrol\":true,\"vcpus\":[{\"id\":99999999999,",
                64,
            ),
            ("{\"generation\":\"A\",\"vms\":[}", 25),
        ] {
            let e = State::parse(text).unwrap_err();
            assert_eq!(e.offset, offset, "{text}: {e}");
        }
    }
}
