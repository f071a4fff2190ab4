//! `--state-out`: the model's address spaces as JSON, written by hand (the
//! format is small and fixed; see the module docs of [`super`]).

use std::fmt::Write as _;

use super::model::Model;

/// Renders the model's state as one line of JSON followed by a newline.
#[must_use]
pub(crate) fn to_json<const N: usize>(model: &Model<N>) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "{{\"generation\":\"{}\",\"vms\":[",
        model.generation().letter()
    );
    for (i, vm) in model.vms().iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(
            s,
            "{{\"vm\":{i},\"ucontrol\":{},\"vcpus\":[",
            vm.is_ucontrol()
        );
        for (j, vcpu) in vm.vcpus().iter().enumerate() {
            if j > 0 {
                s.push(',');
            }
            let _ = write!(s, "{{\"id\":{},\"extents\":[", vcpu.id());
            for (k, e) in vcpu.space().extents().iter().enumerate() {
                if k > 0 {
                    s.push(',');
                }
                let _ = write!(
                    s,
                    "{{\"vcpu_addr\":{},\"user_addr\":{},\"length\":{}}}",
                    e.vcpu_addr(),
                    e.user_addr(),
                    e.length()
                );
            }
            s.push_str("]}");
        }
        s.push_str("]}");
    }
    s.push_str("]}\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Answer, Ioctl};
    use ucas_core::Generation;
    use ucas_core::abi::UcasMapping;

    #[test]
    fn renders_vms_vcpus_and_extents() {
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
        assert_eq!(
            to_json(&m),
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
            to_json(&Model::<8>::new(Generation::A, None)),
            "{\"generation\":\"A\",\"vms\":[]}\n"
        );
    }
}
