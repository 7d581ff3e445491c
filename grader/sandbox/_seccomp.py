"""A seccomp filter that shrinks the kernel surface a sandbox can reach (x86_64 only).

Namespaces contain what the learner can *name*; the filter refuses the system calls that a
contained process has no business making and that kernel exploits favour: new namespaces
(unshare, setns, clone with CLONE_NEW*), mounting, keyrings, BPF, perf events, userfaultfd,
io_uring, ptrace and cross-process memory access, module loading and the like. Refused calls
fail with EPERM (clone3 with ENOSYS, so the C library falls back to clone, which is checked);
a 32-bit or x32 system call kills the process. Installed last, just before the entry runs.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct

from grader.sandbox._linux import prctl_pointer

PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
_AUDIT_ARCH_X86_64 = 0xC000003E
_X32_SYSCALL_BIT = 0x40000000
_RET_ALLOW = 0x7FFF0000
_RET_KILL_PROCESS = 0x80000000
_RET_ERRNO = 0x00050000
_NEW_NAMESPACE_FLAGS = 0x7E020000  # CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | ...

# x86_64 numbers of the refused calls.
REFUSED_SYSCALLS = {
    "ptrace": 101, "syslog": 103, "personality": 135, "vhangup": 153, "pivot_root": 155,
    "adjtimex": 159, "acct": 163, "settimeofday": 164, "mount": 165, "umount2": 166,
    "swapon": 167, "swapoff": 168, "reboot": 169, "sethostname": 170, "setdomainname": 171,
    "iopl": 172, "ioperm": 173, "init_module": 175, "delete_module": 176, "quotactl": 179,
    "lookup_dcookie": 212, "clock_settime": 227, "kexec_load": 246, "add_key": 248,
    "request_key": 249, "keyctl": 250, "unshare": 272, "perf_event_open": 298,
    "name_to_handle_at": 303, "open_by_handle_at": 304, "clock_adjtime": 305, "setns": 308,
    "process_vm_readv": 310, "process_vm_writev": 311, "finit_module": 313,
    "kexec_file_load": 320, "bpf": 321, "userfaultfd": 323, "io_uring_setup": 425,
    "io_uring_enter": 426, "io_uring_register": 427, "open_tree": 428, "move_mount": 429,
    "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442,
}
_CLONE = 56
_CLONE3 = 435

# Classic BPF opcodes.
_LD_W_ABS = 0x20
_JEQ = 0x15
_JGE = 0x35
_JSET = 0x45
_RET = 0x06
# Offsets into struct seccomp_data.
_NR = 0
_ARCH = 4
_ARG0_LOW = 16


class _Filter(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def supported() -> bool:
    return platform.machine() == "x86_64"


def _program() -> list[tuple[int, int, int, int]]:
    """(code, jump-if-true, jump-if-false, k) instructions; jumps are resolved from labels."""
    code: list[tuple[int, object, object, int]] = [
        (_LD_W_ABS, 0, 0, _ARCH),
        (_JEQ, 1, 0, _AUDIT_ARCH_X86_64),
        (_RET, 0, 0, _RET_KILL_PROCESS),
        (_LD_W_ABS, 0, 0, _NR),
        (_JGE, "kill", 0, _X32_SYSCALL_BIT),
    ]
    code += [(_JEQ, "eperm", 0, number) for number in sorted(REFUSED_SYSCALLS.values())]
    code += [
        (_JEQ, "clone", 0, _CLONE),
        (_JEQ, "enosys", 0, _CLONE3),
        (_RET, 0, 0, _RET_ALLOW),
    ]
    labels = {"clone": len(code)}
    code += [(_LD_W_ABS, 0, 0, _ARG0_LOW), (_JSET, "eperm", 0, _NEW_NAMESPACE_FLAGS),
             (_RET, 0, 0, _RET_ALLOW)]
    labels["eperm"] = len(code)
    code.append((_RET, 0, 0, _RET_ERRNO | errno.EPERM))
    labels["enosys"] = len(code)
    code.append((_RET, 0, 0, _RET_ERRNO | errno.ENOSYS))
    labels["kill"] = len(code)
    code.append((_RET, 0, 0, _RET_KILL_PROCESS))

    def offset(target: object, at: int) -> int:
        if isinstance(target, str):
            return labels[target] - at - 1
        assert isinstance(target, int)
        return target

    return [(op, offset(jt, at), offset(jf, at), k) for at, (op, jt, jf, k) in enumerate(code)]


# Assembled once, in the zygote: each sandbox only installs it.
_INSTRUCTIONS = _program()
_COMPILED = b"".join(struct.pack("=HBBI", *instruction) for instruction in _INSTRUCTIONS)


def install() -> None:
    """Apply the filter to this process and all it starts; needs PR_SET_NO_NEW_PRIVS first."""
    buffer = ctypes.create_string_buffer(_COMPILED, len(_COMPILED))
    program = _Filter(len(_INSTRUCTIONS), ctypes.cast(buffer, ctypes.c_void_p))
    prctl_pointer(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(program))
