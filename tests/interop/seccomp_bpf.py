"""A seccomp-bpf program for bubblewrap's `--seccomp FD`: the syscalls a restricted pod's
RuntimeDefault profile denies to break out or look around (ptrace, mount, unshare, bpf, keyctl,
...) fail with EPERM; everything else is allowed. Classic BPF, assembled here so the test needs
no libseccomp bindings."""

from __future__ import annotations

import platform
import struct

# <linux/filter.h> and <linux/seccomp.h>
BPF_LD_W_ABS = 0x20
BPF_JMP_JEQ_K = 0x15
BPF_JMP_JGE_K = 0x35
BPF_RET_K = 0x06
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_KILL_PROCESS = 0x80000000
EPERM = 1
# struct seccomp_data: int nr; __u32 arch; ...
OFFSET_NR, OFFSET_ARCH = 0, 4

# Denied syscalls by architecture (numbers from each arch's unistd.h).
ARCHITECTURES = {
    "x86_64": {
        "audit_arch": 0xC000003E,
        "syscalls": {
            "ptrace": 101, "mount": 165, "umount2": 166, "pivot_root": 155, "unshare": 272, "setns": 308,
            "bpf": 321, "keyctl": 250, "add_key": 248, "request_key": 249, "kexec_load": 246,
            "init_module": 175, "finit_module": 313, "perf_event_open": 298, "open_tree": 428,
            "move_mount": 429, "fsopen": 430, "fsmount": 432,
        },
        # x32 syscalls share the architecture and set bit 30: deny them all.
        "x32_bit": 0x40000000,
    },
    "aarch64": {
        "audit_arch": 0xC00000B7,
        "syscalls": {
            "ptrace": 117, "mount": 40, "umount2": 39, "pivot_root": 41, "unshare": 97, "setns": 268,
            "bpf": 280, "keyctl": 219, "add_key": 217, "request_key": 218, "kexec_load": 104,
            "init_module": 105, "finit_module": 273, "perf_event_open": 241, "open_tree": 428,
            "move_mount": 429, "fsopen": 430, "fsmount": 432,
        },
        "x32_bit": None,
    },
}

DENIED = sorted(ARCHITECTURES["x86_64"]["syscalls"])


def _instruction(code: int, jt: int = 0, jf: int = 0, k: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def program(machine: str | None = None) -> bytes:
    """The filter for this machine: a process of another architecture is killed, a denied
    syscall gets EPERM, anything else runs."""
    arch = ARCHITECTURES[machine or platform.machine()]
    numbers = sorted(set(arch["syscalls"].values()))
    errno_return = _instruction(BPF_RET_K, k=SECCOMP_RET_ERRNO | EPERM)
    body = [_instruction(BPF_LD_W_ABS, k=OFFSET_NR)]
    # Each comparison jumps forward to the EPERM return placed after the ALLOW return.
    checks = []
    if arch["x32_bit"] is not None:
        checks.append((BPF_JMP_JGE_K, arch["x32_bit"]))
    checks += [(BPF_JMP_JEQ_K, number) for number in numbers]
    for index, (code, value) in enumerate(checks):
        remaining = len(checks) - index - 1
        body.append(_instruction(code, jt=remaining + 1, jf=0, k=value))
    body.append(_instruction(BPF_RET_K, k=SECCOMP_RET_ALLOW))
    body.append(errno_return)
    header = [
        _instruction(BPF_LD_W_ABS, k=OFFSET_ARCH),
        _instruction(BPF_JMP_JEQ_K, jt=1, jf=0, k=arch["audit_arch"]),
        _instruction(BPF_RET_K, k=SECCOMP_RET_KILL_PROCESS),
    ]
    return b"".join(header + body)
