"""The sandbox's filesystem: a minimal read-only root built from a tmpfs and read-only binds.

Rather than hiding sensitive paths one by one (and missing one), the sandbox pivots into a
root that holds only what Python needs: /usr, the interpreter's prefixes and the packages it
runs (see `_runtime`), a synthetic /etc, a few device nodes, a fresh /proc for its own pid
namespace, and two size-capped tmpfs mounts that are the only writable places: the scratch
dir (cwd) and /tmp. The repository, exercises with hidden tests, the service's data, /root
and /home simply do not exist inside. Runs in the sandbox's first process, as root of its
user namespace, before it drops to the learner's uid.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from grader.sandbox._errors import SandboxSetupError
from grader.sandbox._linux import (
    MNT_DETACH,
    MS_BIND,
    MS_NODEV,
    MS_NOEXEC,
    MS_NOSUID,
    MS_PRIVATE,
    MS_RDONLY,
    MS_REC,
    MS_REMOUNT,
    locked_mount_flags,
    mount,
    pivot_root,
    umount2,
)

SCRATCH = "/scratch"
# Host directories that may serve as the mount point of the new root, inside the private
# mount namespace (the host's own directory is untouched). The tmpfs mounted there hides
# whatever is below it, so the one chosen must not hold any exposed path: a checkout or a
# virtual environment under /tmp is common (CI clones land there).
_BUILD_CANDIDATES = ("/mnt", "/srv", "/media", "/opt", "/tmp", "/run")
_BUILD_AT = "/tmp"
# Where exposed paths below /tmp wait while the private /tmp is mounted (see mount_private_dirs).
_HELD = "/.held"
_TOP_LEVEL_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
_DEVICES = ("null", "zero", "full", "random", "urandom")
_ETC_FILES = ("ld.so.cache", "ld.so.conf")


def _choose_build_dir(expose: Iterable[str]) -> str:
    """The first candidate that exists and is neither an exposed path nor above one.

    Deterministic for a given `expose`, so the zygote (which builds the template) and a cold
    sandbox (which builds its own) agree without passing the choice along.
    """
    exposed = [os.path.realpath(path) for path in expose]
    for candidate in _BUILD_CANDIDATES:
        if not os.path.isdir(candidate) or os.path.islink(candidate):
            continue
        if all(path != candidate and not path.startswith(candidate + "/") for path in exposed):
            return candidate
    raise SandboxSetupError(
        f"no directory to build the sandbox root in: each of {', '.join(_BUILD_CANDIDATES)} "
        "is missing or holds a path the sandbox must see"
    )


def _use_build_dir(expose: Iterable[str]) -> None:
    global _BUILD_AT
    _BUILD_AT = _choose_build_dir(expose)


def _target(path: str) -> str:
    return _BUILD_AT + path


def _bind(host_path: str, *, read_only: bool = True, extra: int = MS_NOSUID | MS_NODEV) -> None:
    target = _target(host_path)
    if os.path.isdir(host_path):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb"):
            pass
    mount(host_path, target, None, MS_BIND)
    if read_only:
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY | extra | locked_mount_flags(host_path)
        mount(None, target, None, flags)


def _tmpfs(path: str, options: str, flags: int = MS_NOSUID | MS_NODEV) -> None:
    os.makedirs(_target(path), exist_ok=True)
    mount("tmpfs", _target(path), "tmpfs", flags, options)


def _write(path: str, text: str) -> None:
    with open(_target(path), "w", encoding="utf-8") as stream:
        stream.write(text)


def _make_etc(uid: int, gid: int) -> None:
    os.makedirs(_target("/etc"), exist_ok=True)
    _write("/etc/passwd", f"root:x:0:0:root:/:/usr/sbin/nologin\n"
                          f"learner:x:{uid}:{gid}:learner:{SCRATCH}:/bin/sh\n"
                          f"nobody:x:65534:65534:nobody:/:/usr/sbin/nologin\n")
    _write("/etc/group", f"root:x:0:\nlearner:x:{gid}:\nnogroup:x:65534:\n")
    _write("/etc/hosts", "127.0.0.1 localhost\n::1 localhost\n")
    _write("/etc/hostname", "sandbox\n")
    _write("/etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files\n")
    for name in _ETC_FILES:
        if os.path.isfile(f"/etc/{name}"):
            _bind(f"/etc/{name}")
    if os.path.islink("/etc/localtime"):
        os.symlink(os.readlink("/etc/localtime"), _target("/etc/localtime"))


def _make_dev() -> None:
    _tmpfs("/dev", "size=64k,mode=0755", MS_NOSUID | MS_NOEXEC)
    for name in _DEVICES:
        _bind(f"/dev/{name}", read_only=False)
    for name, link in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                       ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(link, _target(f"/dev/{name}"))
    os.mkdir(_target("/dev/shm"))
    mount(None, _target("/dev"), None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC)


def build_template(expose: Iterable[str], *, uid: int, gid: int) -> None:
    """Everything of the root that is the same for every sandbox, read-only.

    A privileged zygote builds it once in its own private mount namespace; each sandbox's
    mount namespace is then a copy that already holds it, and only the per-sandbox mounts
    are left to do (`enter_minimal_root(template_ready=True)`).
    """
    _use_build_dir(expose)
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    mount("tmpfs", _BUILD_AT, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    for name in _TOP_LEVEL_LINKS:
        host = f"/{name}"
        if os.path.islink(host):
            os.symlink(os.readlink(host), _target(host))
        elif os.path.isdir(host):
            _bind(host)
    for path in expose:
        _bind(path)
    _make_etc(uid, gid)
    _make_dev()
    for mount_point in ("/proc", "/tmp", SCRATCH):
        os.makedirs(_target(mount_point), exist_ok=True)
    for index, _ in enumerate(_under_private_tmp(expose)):
        os.makedirs(_target(f"{_HELD}/{index}"))
    mount(None, _BUILD_AT, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def enter_minimal_root(expose: Iterable[str], *, uid: int, gid: int,
                       template_ready: bool) -> None:
    """Pivot into the template root with a fresh /proc; the old root is detached, not hidden.

    Nothing here depends on the submission, so a spare sandbox can do it ahead of time.
    """
    if template_ready:
        _use_build_dir(expose)
        # pivot_root refuses a mount inherited (locked) from a more privileged namespace;
        # a recursive bind of it is this namespace's own.
        mount(_BUILD_AT, _BUILD_AT, None, MS_BIND | MS_REC)
    else:
        build_template(expose, uid=uid, gid=gid)
    mount("proc", _target("/proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    os.chdir(_BUILD_AT)
    pivot_root(".", ".")
    umount2(".", MNT_DETACH)
    os.chdir("/")


def _under_private_tmp(expose: Iterable[str]) -> list[str]:
    return [path for path in expose if path.startswith("/tmp/")]


def mount_private_dirs(scratch_bytes: int, *, uid: int, gid: int,
                       expose: Iterable[str] = ()) -> None:
    """The only writable places, sized for this submission: scratch (cwd), /tmp, /dev/shm.

    The private /tmp would hide exposed paths that live below /tmp (a checkout or virtual
    environment there), so those are parked aside first and bound back, read-only, on top.
    """
    held = _under_private_tmp(expose)
    for index, path in enumerate(held):
        mount(path, f"{_HELD}/{index}", None, MS_BIND | MS_REC)
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={scratch_bytes},mode=1777")
    for index, path in enumerate(held):
        os.makedirs(path, exist_ok=True)
        mount(f"{_HELD}/{index}", path, None, MS_BIND | MS_REC)
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV
        mount(None, path, None, flags | locked_mount_flags(path))
        umount2(f"{_HELD}/{index}", MNT_DETACH)
    mount("tmpfs", SCRATCH, "tmpfs", MS_NOSUID | MS_NODEV,
          f"size={scratch_bytes},mode=0700,uid={uid},gid={gid}")
    mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
          f"size={min(scratch_bytes, 8 * 2**20)},mode=1777")
