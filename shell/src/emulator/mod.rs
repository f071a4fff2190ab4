//! The emulator behind `ucas emulate`: answers a traced program's `/dev/kvm`
//! ioctls on any Linux host, executing guest code with [`cpu`].

pub mod cpu;
