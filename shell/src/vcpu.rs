//! `Vcpu`: a vcpu fd, its mapped `kvm_run` and SIE page, and the mirror of
//! its address space, kept equal to what the kernel holds.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use ucas_core::Errno;
use ucas_core::abi::{self, KvmRun, SieBlock, UcasMapping};
use ucas_core::request::{Generation, Rules};
use ucas_core::segment::{SEGMENT_SIZE, segment_round_down, segment_start};
use ucas_core::{AddressSpace, SpaceError};

use crate::error::{Error, ErrorKind, Operation, Result};
use crate::kvm::Vm;
use crate::run::{DemandRun, Exit};
use crate::sys::{self, FdMapping};
use ucas_core::abi::Ioctl;

/// The mirror capacity of a [`Vcpu`] unless chosen otherwise: 256 extents
/// (6 KiB), far more distinct mappings than ucontrol programs use.
pub const DEFAULT_CAPACITY: usize = 256;

/// Errnos of `KVM_S390_UCAS_MAP` after which the kernel is known to have
/// changed nothing: the request was refused before any segment was touched.
/// From the kernel's path, the same on every generation unless said:
///
/// - EBADF: no such fd (`fdget`); ENOTTY: not a KVM vcpu fd, or a kernel
///   without `CONFIG_KVM_S390_UCONTROL` (the `default:` of
///   `kvm_arch_vcpu_ioctl`); EPERM, ENOSYS: refused by a seccomp filter or
///   LSM, or an emulator (qemu-user) without the call.
/// - EIO: `kvm_vcpu_ioctl` refuses a caller whose mm is not the VM's (a
///   forked child) or a dead VM, before anything else.
/// - EFAULT: `copy_from_user` of the argument; EINVAL: a VM that is not
///   ucontrol, then the checks of `gmap_map_segment` (A, B: alignment, zero
///   length, wrap-around) or `gmap_ucas_map` (C: alignment), all before the
///   first segment is stored.
///
/// Not in the list, so treated as a partial change (the range is cleared in
/// both, which never makes the mirror claim what the kernel lacks):
/// ENOMEM, the one errno of a store that failed partway (A, B unmap the
/// whole range, C keeps the segments stored before); EINTR, which on A and
/// B comes only from `mutex_lock_killable` (a fatal signal, before
/// anything: the process is dying anyway) but on C may come while segments
/// are faulted in (7.2-rc, not read yet); and any errno not known here.
fn changed_nothing(e: Errno) -> bool {
    matches!(
        e,
        Errno::INVAL
            | Errno::FAULT
            | Errno::NOTTY
            | Errno::BADF
            | Errno::IO
            | Errno::NOSYS
            | Errno::PERM
    )
}

/// A vcpu of a [`Vm`], with the mirror of its address space.
///
/// Invariant: the mirror never claims a mapping the kernel does not have.
/// Every change is validated (strict rules unless chosen otherwise) and
/// checked to fit the mirror before the kernel is asked; after a kernel
/// failure partway, kernel and mirror are brought back to one known state.
#[derive(Debug)]
pub struct Vcpu<const N: usize = DEFAULT_CAPACITY> {
    id: u32,
    fd: OwnedFd,
    run: FdMapping,
    sie: Option<FdMapping>,
    space: AddressSpace<N>,
    rules: Rules,
}

impl<const N: usize> Vcpu<N> {
    /// `KVM_CREATE_VCPU(id)`, then maps `kvm_run` (size from
    /// `KVM_GET_VCPU_MMAP_SIZE`) and, on a ucontrol VM, the SIE page.
    ///
    /// # Errors
    /// EEXIST for a taken id, EINVAL for an id past 254, mmap errors, and
    /// [`ErrorKind::ShortMapping`] if `kvm_run` is smaller than its layout.
    #[doc(alias = "KVM_CREATE_VCPU")]
    pub fn create(vm: &Vm, id: u32) -> Result<Self> {
        let fd = sys::fd_ioctl(vm.as_fd(), Ioctl::CreateVcpu, u64::from(id))
            .map_err(|e| Error::from_errno(Operation::Ioctl(Ioctl::CreateVcpu), e))?;
        let run = FdMapping::new(fd.as_fd(), 0, vm.vcpu_mmap_size())
            .map_err(|e| Error::from_errno(Operation::MapRun, e))?;
        if run.view::<KvmRun>().is_none() {
            return Err(Error::new(
                Operation::MapRun,
                ErrorKind::ShortMapping { len: run.len() },
            ));
        }
        let page = rustix::param::page_size();
        let sie = if vm.is_ucontrol() {
            let offset = abi::KVM_S390_SIE_PAGE_OFFSET * page as u64;
            Some(
                FdMapping::new(fd.as_fd(), offset, page)
                    .map_err(|e| Error::from_errno(Operation::MapSiePage, e))?,
            )
        } else {
            None
        };
        Ok(Self {
            id,
            fd,
            run,
            sie,
            space: AddressSpace::new(),
            rules: Rules::Strict,
        })
    }

    /// The vcpu id.
    #[must_use]
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The rules requests are validated with before they reach the kernel.
    #[must_use]
    pub fn rules(&self) -> Rules {
        self.rules
    }

    /// Chooses the rules: [`Rules::Strict`] (the default) or those of one
    /// kernel generation.
    pub fn set_rules(&mut self, rules: Rules) {
        self.rules = rules;
    }

    /// The mirror of the vcpu's address space.
    #[must_use]
    pub fn mappings(&self) -> &AddressSpace<N> {
        &self.space
    }

    /// The user address a vcpu address resolves to, from the mirror.
    #[must_use]
    pub fn translate(&self, vcpu_addr: u64) -> Option<u64> {
        self.space.translate(vcpu_addr)
    }

    /// `KVM_S390_UCAS_MAP`: makes the vcpu range resolve to user memory,
    /// replacing whatever was mapped there.
    ///
    /// # Errors
    /// [`ErrorKind::Refused`] before any system call when the rules reject
    /// the request or the mirror would not hold the result; the kernel's
    /// errno otherwise, with kernel and mirror unchanged when that errno
    /// means the kernel changed nothing (EINVAL, EFAULT, EBADF, ENOTTY, EIO,
    /// EPERM, ENOSYS). [`ErrorKind::PartialMap`] when the kernel may have
    /// changed part of the range (ENOMEM partway, EINTR, an unknown errno):
    /// the requested range (widened to whole extents if the mirror needs
    /// that) is then unmapped in both kernel and mirror.
    #[doc(alias = "KVM_S390_UCAS_MAP")]
    pub fn map(&mut self, m: UcasMapping) -> Result<()> {
        let op = Operation::Ioctl(Ioctl::UcasMap);
        self.space
            .check_map(self.rules, &m)
            .map_err(|e| Error::new(op, ErrorKind::Refused(e)))?;
        match sys::ucas_ioctl(self.fd.as_fd(), true, &m) {
            Ok(()) => match self.space.map_with(self.rules, m) {
                Ok(()) => Ok(()),
                // Checked to fit above, so this cannot happen; if it did,
                // bring both sides to "unmapped" rather than lie.
                Err(_) => Err(self.clear_after_failure(op, m, Errno::NOMEM)),
            },
            Err(e) if changed_nothing(e) => Err(Error::from_errno(op, e)),
            Err(e) => Err(self.clear_after_failure(op, m, e)),
        }
    }

    /// `KVM_S390_UCAS_UNMAP`: unmaps the vcpu range; unmapped parts are fine.
    ///
    /// # Errors
    /// [`ErrorKind::Refused`] before any system call for a rejected request
    /// or when the hole would not fit the mirror; the kernel's errno.
    #[doc(alias = "KVM_S390_UCAS_UNMAP")]
    pub fn unmap(&mut self, vcpu_addr: u64, length: u64) -> Result<()> {
        let op = Operation::Ioctl(Ioctl::UcasUnmap);
        self.space
            .check_unmap(self.rules, vcpu_addr, length)
            .map_err(|e| Error::new(op, ErrorKind::Refused(e)))?;
        let m = UcasMapping {
            user_addr: 0,
            vcpu_addr,
            length,
        };
        sys::ucas_ioctl(self.fd.as_fd(), false, &m).map_err(|e| Error::from_errno(op, e))?;
        if self
            .space
            .unmap_with(self.rules, vcpu_addr, length)
            .is_err()
        {
            // Checked above; never claim what the kernel just dropped.
            self.space.forget_overlapping(vcpu_addr, length);
        }
        Ok(())
    }

    /// After a MAP failed partway, unmaps the requested range in the kernel
    /// (which succeeds on every generation) and in the mirror. Where the
    /// mirror cannot hold the hole, the range is widened to the whole
    /// extents it touches, which never needs room.
    fn clear_after_failure(&mut self, op: Operation, m: UcasMapping, errno: Errno) -> Error {
        let (mut start, mut len) = (m.vcpu_addr, m.length);
        if !matches!(
            self.space.check_unmap(Rules::Strict, start, len),
            Ok(()) | Err(SpaceError::Request(_))
        ) {
            (start, len) = self.widened(start, len);
        }
        let clear = UcasMapping {
            user_addr: 0,
            vcpu_addr: start,
            length: len,
        };
        match sys::ucas_ioctl(self.fd.as_fd(), false, &clear) {
            Ok(()) => {
                if self.space.unmap_with(Rules::Strict, start, len).is_err() {
                    self.space.forget_overlapping(start, len);
                }
                Error::new(
                    op,
                    ErrorKind::PartialMap {
                        request: m,
                        cleared: (start, len),
                        errno,
                    },
                )
            }
            Err(e) => {
                let forgotten = self
                    .space
                    .forget_overlapping(start, len)
                    .unwrap_or((start, len));
                Error::new(
                    op,
                    ErrorKind::Unconfirmed {
                        errno: e,
                        forgotten,
                    },
                )
            }
        }
    }

    /// `[start, start + len)` grown to the edges of the extents it touches.
    fn widened(&self, start: u64, len: u64) -> (u64, u64) {
        let last = start.saturating_add(len.saturating_sub(1));
        let lo = self
            .space
            .extent_at(start)
            .map_or(start, |e| e.vcpu_addr().min(start));
        let hi_end = self.space.extent_at(last).map_or(last, |e| {
            e.vcpu_addr().saturating_add(e.length().saturating_sub(1))
        });
        let end = hi_end.max(last);
        (lo, (end - lo).saturating_add(1) & !(SEGMENT_SIZE - 1))
    }

    /// `KVM_S390_VCPU_FAULT`: faults in the page holding `vcpu_addr`.
    ///
    /// # Errors
    /// [`ErrorKind::SegmentNotMapped`] when its segment is not mapped (EFAULT
    /// on generation A, EREMOTE on B and C, which also write the ucontrol
    /// exit fields into `kvm_run`); [`ErrorKind::NoUserMemory`] when it is
    /// mapped but the user memory is missing (EFAULT); other errnos as is.
    #[doc(alias = "KVM_S390_VCPU_FAULT")]
    pub fn fault(&mut self, vcpu_addr: u64) -> Result<()> {
        let op = Operation::Ioctl(Ioctl::VcpuFault);
        match sys::value_ioctl(self.fd.as_fd(), Ioctl::VcpuFault, vcpu_addr) {
            Ok(_) => Ok(()),
            Err(errno @ Errno::REMOTE) => Err(Error::new(
                op,
                ErrorKind::SegmentNotMapped { vcpu_addr, errno },
            )),
            Err(Errno::FAULT) if self.space.is_mapped(vcpu_addr) => {
                Err(Error::new(op, ErrorKind::NoUserMemory { vcpu_addr }))
            }
            Err(errno @ Errno::FAULT) => Err(Error::new(
                op,
                ErrorKind::SegmentNotMapped { vcpu_addr, errno },
            )),
            Err(e) => Err(Error::from_errno(op, e)),
        }
    }

    /// `KVM_PRE_FAULT_MEMORY` (s390 from Linux 7.2, `KVM_CAP_PRE_FAULT_MEMORY`):
    /// maps the `size` bytes of guest memory from `gpa` ahead of use and
    /// returns how many were left unmapped (0: all).
    ///
    /// # Errors
    /// ENOTTY before 7.2; EINVAL for flags, a range not page-aligned or
    /// wrapping, and on every ucontrol vcpu (its address space is the
    /// controller's: map segments with [`Vcpu::map`], fault pages in with
    /// [`Vcpu::fault`]); ENOENT for a regular VM's range outside every
    /// memory slot.
    #[doc(alias = "KVM_PRE_FAULT_MEMORY")]
    pub fn pre_fault_memory(&self, gpa: u64, size: u64) -> Result<u64> {
        let range = abi::PreFaultMemory {
            gpa,
            size,
            ..abi::PreFaultMemory::default()
        };
        self.register_set(Ioctl::PreFaultMemory, range)
            .map(|r| r.size)
    }

    /// `KVM_RUN`: runs the vcpu until the next exit.
    ///
    /// # Errors
    /// EFAULT when the guest touched a mapped segment without user memory
    /// (generations B, C) or the prefix segment is unmapped (A, B); other
    /// errnos as is. A signal is not an error: [`Exit::Interrupted`].
    #[doc(alias = "KVM_RUN")]
    pub fn run(&mut self) -> Result<Exit> {
        match sys::run_ioctl(self.fd.as_fd()) {
            Ok(()) => Ok(Exit::from_run(self.kvm_run())),
            Err(Errno::INTR) => Ok(Exit::Interrupted),
            Err(e) => Err(Error::from_errno(Operation::Ioctl(Ioctl::Run), e)),
        }
    }

    /// Runs until an exit other than a ucontrol exit, mapping each faulting
    /// segment through `policy` (vcpu segment address → user address, or
    /// `None` to hand the exit back), at most `max_segments` times.
    ///
    /// # Errors
    /// [`ErrorKind::DemandLimit`] when one more segment would pass the bound;
    /// errors of [`Vcpu::run`] and [`Vcpu::map`].
    pub fn run_demand(
        &mut self,
        mut policy: impl FnMut(u64) -> Option<u64>,
        max_segments: usize,
    ) -> Result<DemandRun> {
        let mut segments_mapped = 0;
        loop {
            let exit = self.run()?;
            let Exit::Ucontrol { trans_exc_code, .. } = exit else {
                return Ok(DemandRun {
                    exit,
                    segments_mapped,
                });
            };
            let segment = segment_round_down(trans_exc_code);
            let Some(user_addr) = policy(segment) else {
                return Ok(DemandRun {
                    exit,
                    segments_mapped,
                });
            };
            if segments_mapped >= max_segments {
                return Err(Error::new(
                    Operation::Ioctl(Ioctl::Run),
                    ErrorKind::DemandLimit {
                        limit: max_segments,
                        vcpu_addr: trans_exc_code,
                    },
                ));
            }
            self.map(UcasMapping {
                user_addr,
                vcpu_addr: segment,
                length: SEGMENT_SIZE,
            })?;
            segments_mapped += 1;
        }
    }

    /// Finds out which kernel generation serves this vcpu, from two of the
    /// differences between them, and leaves no mapping behind: a MAP of
    /// length 0 (a no-op on C, EINVAL before) and a VCPU_FAULT on a segment
    /// the mirror holds unmapped (EFAULT on A, EREMOTE on B). `kvm_run`'s
    /// exit fields are restored afterwards.
    ///
    /// # Errors
    /// The errno of an unexpected answer (e.g. EINVAL from a vcpu of a
    /// regular VM, ENOSYS under qemu-user).
    pub fn detect_generation(&mut self) -> Result<Generation> {
        let zero = UcasMapping::default();
        match sys::ucas_ioctl(self.fd.as_fd(), true, &zero) {
            Ok(()) => return Ok(Generation::C),
            Err(Errno::INVAL) => {}
            Err(e) => return Err(Error::from_errno(Operation::Ioctl(Ioctl::UcasMap), e)),
        }
        let probe = self.unmapped_segment();
        let saved = *self.kvm_run();
        let answer = sys::value_ioctl(self.fd.as_fd(), Ioctl::VcpuFault, probe);
        *self.kvm_run_mut() = saved;
        match answer {
            Err(Errno::FAULT) => Ok(Generation::A),
            Err(Errno::REMOTE) => Ok(Generation::B),
            Ok(_) => Err(Error::from_errno(
                Operation::Ioctl(Ioctl::VcpuFault),
                Errno::EXIST,
            )),
            Err(e) => Err(Error::from_errno(Operation::Ioctl(Ioctl::VcpuFault), e)),
        }
    }

    /// The lowest vcpu segment address the mirror holds unmapped.
    fn unmapped_segment(&self) -> u64 {
        let mut candidate = 0u64;
        for e in &self.space {
            if e.vcpu_addr() > candidate {
                break;
            }
            candidate =
                segment_start((e.vcpu_addr() >> ucas_core::segment::SEGMENT_SHIFT) + e.segments());
        }
        candidate
    }

    /// The mapped `kvm_run`.
    #[must_use]
    pub fn kvm_run(&self) -> &KvmRun {
        // `create` refused mappings too small for the layout.
        self.run
            .view()
            .unwrap_or_else(|| unreachable!("kvm_run checked at creation"))
    }

    /// The mapped `kvm_run`, to set the PSW, registers or flags before a run.
    pub fn kvm_run_mut(&mut self) -> &mut KvmRun {
        self.run
            .view_mut()
            .unwrap_or_else(|| unreachable!("kvm_run checked at creation"))
    }

    /// The SIE control block (ucontrol VMs only).
    #[must_use]
    pub fn sie_block(&self) -> Option<&SieBlock> {
        self.sie.as_ref().and_then(FdMapping::view)
    }

    /// The SIE control block, writable (ucontrol VMs only).
    pub fn sie_block_mut(&mut self) -> Option<&mut SieBlock> {
        self.sie.as_mut().and_then(FdMapping::view_mut)
    }

    /// The guest PSW (mask, address) as `kvm_run` holds it.
    #[must_use]
    pub fn psw(&self) -> (u64, u64) {
        let run = self.kvm_run();
        (run.psw_mask, run.psw_addr)
    }

    /// Sets the guest PSW for the next run.
    pub fn set_psw(&mut self, mask: u64, addr: u64) {
        let run = self.kvm_run_mut();
        run.psw_mask = mask;
        run.psw_addr = addr;
    }

    /// The general registers as the last exit left them in the sync regs.
    #[must_use]
    pub fn gprs(&self) -> [u64; 16] {
        self.kvm_run().sync.gprs
    }

    /// Sets the general registers and marks them dirty (`KVM_SYNC_GPRS`) so
    /// the next run loads them.
    pub fn set_gprs(&mut self, gprs: [u64; 16]) {
        let run = self.kvm_run_mut();
        run.sync.gprs = gprs;
        run.kvm_dirty_regs |= abi::KVM_SYNC_GPRS;
    }

    /// Issues a request with the struct `arg` (a register set, a range),
    /// the errno typed with the request.
    fn register_set<T: sys::PlainArg>(&self, request: Ioctl, arg: T) -> Result<T> {
        crate::kvm::plain_ioctl(self.fd.as_fd(), request, arg)
    }

    /// `KVM_GET_REGS`: the general registers as the kernel keeps them.
    ///
    /// # Errors
    /// The errno (EINVAL on a kernel of another architecture, whose request
    /// numbers differ; ENOTTY on an fd that is not a vcpu).
    #[doc(alias = "KVM_GET_REGS")]
    pub fn regs(&self) -> Result<abi::Regs> {
        self.register_set(Ioctl::GetRegs, abi::Regs::default())
    }

    /// `KVM_SET_REGS`: replaces the general registers.
    ///
    /// # Errors
    /// As [`Vcpu::regs`].
    #[doc(alias = "KVM_SET_REGS")]
    pub fn set_regs(&mut self, regs: &abi::Regs) -> Result<()> {
        self.register_set(Ioctl::SetRegs, *regs).map(drop)
    }

    /// `KVM_GET_SREGS`: the access and control registers.
    ///
    /// # Errors
    /// As [`Vcpu::regs`].
    #[doc(alias = "KVM_GET_SREGS")]
    pub fn sregs(&self) -> Result<abi::Sregs> {
        self.register_set(Ioctl::GetSregs, abi::Sregs::default())
    }

    /// `KVM_SET_SREGS`: replaces the access and control registers.
    ///
    /// # Errors
    /// As [`Vcpu::regs`].
    #[doc(alias = "KVM_SET_SREGS")]
    pub fn set_sregs(&mut self, sregs: &abi::Sregs) -> Result<()> {
        self.register_set(Ioctl::SetSregs, *sregs).map(drop)
    }

    /// `KVM_GET_FPU`: the floating-point control and registers.
    ///
    /// # Errors
    /// As [`Vcpu::regs`].
    #[doc(alias = "KVM_GET_FPU")]
    pub fn fpu(&self) -> Result<abi::Fpu> {
        self.register_set(Ioctl::GetFpu, abi::Fpu::default())
    }

    /// `KVM_SET_FPU`: replaces the floating-point control and registers.
    ///
    /// # Errors
    /// As [`Vcpu::regs`]; early kernels refuse an invalid `fpc` (EINVAL).
    #[doc(alias = "KVM_SET_FPU")]
    pub fn set_fpu(&mut self, fpu: &abi::Fpu) -> Result<()> {
        self.register_set(Ioctl::SetFpu, *fpu).map(drop)
    }

    /// `KVM_GET_ONE_REG` of register `id` (`abi::KVM_REG_S390_*`); a 32-bit
    /// register comes back in the low half.
    ///
    /// # Errors
    /// EINVAL for an id the kernel does not know (or wider than 64 bits).
    #[doc(alias = "KVM_GET_ONE_REG")]
    pub fn get_one_reg(&self, id: u64) -> Result<u64> {
        let mut value = 0;
        sys::one_reg_ioctl(self.fd.as_fd(), false, id, &mut value)
            .map(|()| value)
            .map_err(|e| Error::from_errno(Operation::Ioctl(Ioctl::GetOneReg), e))
    }

    /// `KVM_SET_ONE_REG` of register `id`; a 32-bit register takes the low
    /// half of `value`.
    ///
    /// # Errors
    /// As [`Vcpu::get_one_reg`].
    #[doc(alias = "KVM_SET_ONE_REG")]
    pub fn set_one_reg(&mut self, id: u64, value: u64) -> Result<()> {
        let mut value = value;
        sys::one_reg_ioctl(self.fd.as_fd(), true, id, &mut value)
            .map_err(|e| Error::from_errno(Operation::Ioctl(Ioctl::SetOneReg), e))
    }

    /// `KVM_S390_MEM_OP` `LOGICAL_READ`: fills `buf` from the vcpu's
    /// logical address `gaddr`. `Ok(None)` when done, `Ok(Some(code))` when
    /// the access met a program-interruption condition (4 protection, 5
    /// addressing, …): then `buf` is not filled.
    ///
    /// # Errors
    /// EINVAL, E2BIG (more than 64 KiB), EFAULT.
    #[doc(alias = "KVM_S390_MEM_OP")]
    pub fn read_logical(&self, gaddr: u64, buf: &mut [u8]) -> Result<Option<u16>> {
        crate::kvm::mem_op(self.as_fd(), abi::KVM_S390_MEMOP_LOGICAL_READ, gaddr, buf)
    }

    /// `KVM_S390_MEM_OP` `LOGICAL_WRITE` of `data` at the vcpu's logical
    /// address `gaddr`; the answer as [`Vcpu::read_logical`].
    ///
    /// # Errors
    /// As [`Vcpu::read_logical`].
    pub fn write_logical(&mut self, gaddr: u64, data: &[u8]) -> Result<Option<u16>> {
        let mut copy = data.to_vec();
        crate::kvm::mem_op(
            self.fd.as_fd(),
            abi::KVM_S390_MEMOP_LOGICAL_WRITE,
            gaddr,
            &mut copy,
        )
    }

    /// `KVM_GET_MP_STATE`: `KVM_MP_STATE_STOPPED` (5) or `_OPERATING` (7).
    /// An s390 kernel answers with the state as the ioctl's return value
    /// and leaves the struct alone; other kernels write the struct.
    ///
    /// # Errors
    /// The errno.
    #[doc(alias = "KVM_GET_MP_STATE")]
    pub fn mp_state(&self) -> Result<u32> {
        let mut st = abi::MpState::default();
        let r = sys::struct_ioctl(self.fd.as_fd(), Ioctl::GetMpState, &mut st)
            .map_err(|e| Error::from_errno(Operation::Ioctl(Ioctl::GetMpState), e))?;
        Ok(u32::try_from(r)
            .ok()
            .filter(|&v| v != 0)
            .unwrap_or(st.mp_state))
    }

    /// `KVM_SET_MP_STATE`: stops (5) or starts (7) the vcpu; from then on
    /// the VM's run state is the caller's (resets no longer stop vcpus).
    ///
    /// # Errors
    /// ENXIO for LOAD (8, protected guests only), CHECK_STOP and others.
    #[doc(alias = "KVM_SET_MP_STATE")]
    pub fn set_mp_state(&mut self, mp_state: u32) -> Result<()> {
        self.register_set(Ioctl::SetMpState, abi::MpState { mp_state })
            .map(drop)
    }

    /// `KVM_S390_SET_INITIAL_PSW`: the PSW of the next run.
    ///
    /// # Errors
    /// EBUSY unless the vcpu is stopped (`CPUSTAT_STOPPED`).
    #[doc(alias = "KVM_S390_SET_INITIAL_PSW")]
    pub fn set_initial_psw(&mut self, mask: u64, addr: u64) -> Result<()> {
        self.register_set(Ioctl::S390SetInitialPsw, abi::S390Psw { mask, addr })
            .map(drop)
    }

    /// `KVM_S390_INITIAL_RESET`, `KVM_S390_NORMAL_RESET` or
    /// `KVM_S390_CLEAR_RESET` (`reset`).
    ///
    /// # Errors
    /// EINVAL for another request; the kernel's errno.
    #[doc(alias = "KVM_S390_INITIAL_RESET")]
    pub fn reset(&mut self, reset: Ioctl) -> Result<()> {
        if !matches!(
            reset,
            Ioctl::S390InitialReset | Ioctl::S390NormalReset | Ioctl::S390ClearReset
        ) {
            return Err(Error::from_errno(Operation::Ioctl(reset), Errno::INVAL));
        }
        sys::value_ioctl(self.fd.as_fd(), reset, 0)
            .map(drop)
            .map_err(|e| Error::from_errno(Operation::Ioctl(reset), e))
    }

    /// `KVM_S390_IRQ`: injects a local interrupt (a ucontrol vcpu keeps it
    /// pending; the controller delivers interrupts itself).
    ///
    /// # Errors
    /// EINVAL for a type or parameter the kernel refuses, EBUSY for a stop
    /// or external call already pending.
    #[doc(alias = "KVM_S390_IRQ")]
    pub fn inject(&mut self, irq: &abi::S390Irq) -> Result<()> {
        self.register_set(Ioctl::S390Irq, *irq).map(drop)
    }

    /// `KVM_S390_INTERRUPT` on the vcpu: the older, 16-byte form of
    /// [`Vcpu::inject`] (program, set prefix, stop, external call,
    /// emergency, machine check, pfault init, restart, clock comparator and
    /// CPU timer interrupts).
    ///
    /// # Errors
    /// EINVAL for another type, or a program, external-call or emergency
    /// `parm` with bits in its upper half; then as [`Vcpu::inject`].
    #[doc(alias = "KVM_S390_INTERRUPT")]
    pub fn interrupt(&mut self, irq: &abi::S390Interrupt) -> Result<()> {
        self.register_set(Ioctl::S390Interrupt, *irq).map(drop)
    }

    /// `KVM_SET_GUEST_DEBUG` with `control` (`abi::KVM_GUESTDBG_*`) and no
    /// hardware breakpoints; enabling sets `CPUSTAT_P` in the SIE block.
    ///
    /// # Errors
    /// EINVAL for control bits other than ENABLE, SINGLESTEP and
    /// USE_HW_BP, or on a host without the guest-PER enhancement.
    #[doc(alias = "KVM_SET_GUEST_DEBUG")]
    pub fn set_guest_debug(&mut self, control: u32) -> Result<()> {
        self.set_guest_debug_with_breakpoints(control, &[])
    }

    /// `KVM_SET_GUEST_DEBUG` with `control` and, when it has both
    /// `KVM_GUESTDBG_ENABLE` and `KVM_GUESTDBG_USE_HW_BP`, the hardware
    /// `breakpoints` (`KVM_HW_BP` 1, or `KVM_HW_WP_WRITE` 2, whose
    /// `phys_addr..+len` of guest absolute memory the kernel reads now).
    ///
    /// # Errors
    /// As [`Vcpu::set_guest_debug`]; EINVAL for more than 50 breakpoints or
    /// a write watchpoint longer than 100 bytes; EFAULT when the memory a
    /// watchpoint watches lies outside guest memory. Any of these leaves
    /// debugging off (`CPUSTAT_P` clear).
    #[doc(alias = "KVM_SET_GUEST_DEBUG")]
    pub fn set_guest_debug_with_breakpoints(
        &mut self,
        control: u32,
        breakpoints: &[abi::HwBreakpoint],
    ) -> Result<()> {
        sys::guest_debug_ioctl(self.fd.as_fd(), control, breakpoints)
            .map_err(|e| Error::from_errno(Operation::Ioctl(Ioctl::SetGuestDebug), e))
    }

    /// `KVM_S390_GET_IRQ_STATE`: fills `buf` with the vcpu's pending local
    /// interrupts and returns how many it wrote (0 with nothing pending,
    /// `buf` untouched then).
    ///
    /// # Errors
    /// EINVAL for an empty `buf`; ENOBUFS when the pending interrupts do
    /// not fit in `buf` (pass a longer one: at most 32 local interrupts
    /// plus one emergency signal per vcpu); EFAULT.
    #[doc(alias = "KVM_S390_GET_IRQ_STATE")]
    pub fn irq_state(&self, buf: &mut [abi::S390Irq]) -> Result<usize> {
        let bytes = sys::irq_state_ioctl(self.fd.as_fd(), false, buf)
            .map_err(|e| Error::from_errno(Operation::Ioctl(Ioctl::S390GetIrqState), e))?;
        // The kernel answers in bytes, one `kvm_s390_irq` per entry.
        Ok(usize::try_from(bytes).unwrap_or(0) / size_of::<abi::S390Irq>())
    }

    /// `KVM_S390_SET_IRQ_STATE`: injects `irqs` one after the other, as
    /// [`Vcpu::inject`] would, into a vcpu with nothing pending (the
    /// restore half of [`Vcpu::irq_state`], e.g. after a migration).
    ///
    /// # Errors
    /// EINVAL for an empty `irqs`, more than 287 entries, or the first
    /// entry the kernel refuses (the entries before it stay injected);
    /// EBUSY when the vcpu already has an interrupt pending (a reset
    /// clears them: [`Vcpu::reset`]) or the entry is a second stop or
    /// external call.
    #[doc(alias = "KVM_S390_SET_IRQ_STATE")]
    pub fn set_irq_state(&mut self, irqs: &[abi::S390Irq]) -> Result<()> {
        let mut copy = irqs.to_vec();
        sys::irq_state_ioctl(self.fd.as_fd(), true, &mut copy)
            .map(drop)
            .map_err(|e| Error::from_errno(Operation::Ioctl(Ioctl::S390SetIrqState), e))
    }

    /// `KVM_S390_STORE_STATUS`: stores the vcpu's registers as the
    /// architected save area would hold them, with the floating-point
    /// registers at absolute address `addr` (the area's 0x1200; the
    /// general registers follow at `addr` + 0x80, big-endian), or in the
    /// save area at absolute 0 (`abi::KVM_S390_STORE_STATUS_NOADDR`) or in
    /// the prefix area (`abi::KVM_S390_STORE_STATUS_PREFIXED`). The kernel
    /// writes through the VM's memory slots, not the vcpu's UCAS mappings:
    /// on a ucontrol VM of Linux 6.14+ absolute addresses are the caller's
    /// own addresses.
    ///
    /// # Errors
    /// EFAULT when the save area is not the caller's memory (on Linux
    /// before 6.14 always, for a ucontrol VM: it has no memory slots).
    #[doc(alias = "KVM_S390_STORE_STATUS")]
    pub fn store_status(&mut self, addr: u64) -> Result<()> {
        sys::value_ioctl(self.fd.as_fd(), Ioctl::S390StoreStatus, addr)
            .map(drop)
            .map_err(|e| Error::from_errno(Operation::Ioctl(Ioctl::S390StoreStatus), e))
    }

    /// `KVM_GET_STATS_FD` on the vcpu: as [`Vm::get_stats_fd`], for this
    /// vcpu's statistics.
    ///
    /// # Errors
    /// As [`Vm::get_stats_fd`].
    #[doc(alias = "KVM_GET_STATS_FD")]
    pub fn get_stats_fd(&self) -> Result<OwnedFd> {
        crate::kvm::stats_fd(self.fd.as_fd())
    }

    /// `KVM_SET_SIGNAL_MASK`: the signals blocked while the vcpu runs
    /// (`mask`: bit n − 1 for signal n, the kernel's `sigset_t`), or
    /// `None` to run with the thread's own mask again.
    ///
    /// # Errors
    /// The errno.
    #[doc(alias = "KVM_SET_SIGNAL_MASK")]
    pub fn set_signal_mask(&mut self, mask: Option<u64>) -> Result<()> {
        sys::signal_mask_ioctl(self.fd.as_fd(), mask)
            .map_err(|e| Error::from_errno(Operation::Ioctl(Ioctl::SetSignalMask), e))
    }

    /// `KVM_TRANSLATE` of guest address `gva` (x86 answers it; s390 does
    /// not implement it).
    ///
    /// # Errors
    /// EINVAL on s390: translate with [`Vcpu::read_logical`]'s program
    /// codes, or walk the guest's tables through guest memory.
    #[doc(alias = "KVM_TRANSLATE")]
    pub fn translate_gva(&self, gva: u64) -> Result<abi::Translation> {
        let t = abi::Translation {
            linear_address: gva,
            ..abi::Translation::default()
        };
        self.register_set(Ioctl::Translate, t)
    }

    /// `KVM_ENABLE_CAP` on the vcpu; s390 knows one vcpu capability,
    /// `KVM_CAP_S390_CSS_SUPPORT`, which switches on channel-subsystem
    /// intercepts VM-wide.
    ///
    /// # Errors
    /// EINVAL for any other capability.
    #[doc(alias = "KVM_ENABLE_CAP")]
    pub fn enable_cap(&mut self, cap: u32, args: [u64; 4]) -> Result<()> {
        crate::kvm::enable_cap(self.fd.as_fd(), cap, args)
    }

    /// Clears `CPUSTAT_STOPPED` in the SIE block, as a controller does before
    /// the first run. Returns false on a VM without a SIE page.
    pub fn clear_stopped(&mut self) -> bool {
        match self.sie_block_mut() {
            Some(sie) => {
                sie.cpuflags &= !abi::CPUSTAT_STOPPED;
                true
            }
            None => false,
        }
    }
}

impl<const N: usize> AsFd for Vcpu<N> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Which MAP errnos leave kernel and mirror as they were, from the
    /// kernel's code (see `changed_nothing`).
    #[test]
    fn map_errnos_that_change_nothing() {
        for e in [
            Errno::INVAL,
            Errno::FAULT,
            Errno::NOTTY,
            Errno::BADF,
            Errno::IO,
            Errno::NOSYS,
            Errno::PERM,
        ] {
            assert!(changed_nothing(e), "{e:?}");
        }
        // ENOMEM is the partial store; EINTR may come partway on C (7.2);
        // anything unknown is treated as partial, the side that cannot lie.
        for e in [Errno::NOMEM, Errno::INTR, Errno::AGAIN, Errno::EXIST] {
            assert!(!changed_nothing(e), "{e:?}");
        }
    }
}
