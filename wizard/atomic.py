"""Files: written so that readers see the old content or the new, never half; read with a cap.

Parameter files, profiles, drafts, reports and caches all go through ``write_atomic``: the text
is written to a temporary file beside the target, flushed to disk, given its mode, and renamed
over the target. An interrupted run leaves the previous file untouched.

``write_output`` is how a file the operator named (``--out``) is written: never over an
existing file unless asked, only over a regular file, into a folder that exists, keeping the
old content as ``PATH.bak`` by a link renamed into place, so that a link planted at
``PATH.bak`` is replaced rather than followed and a device such as ``/dev/full`` is never
copied.

``read_text`` is how every input is read (templates, answers, profiles, parameter files,
baselines): only a regular file, and at most ``limit`` bytes, so that ``/dev/zero``, a FIFO
or a huge file is one clear error instead of a hang or an exhausted memory.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from wizard.errors import InputError


def write_atomic(path: str | os.PathLike[str], text: str | bytes, *, mode: int = 0o644,
                 make_parents: bool = True, durable: bool = True) -> None:
    """Write ``text`` (or bytes) to ``path`` so that readers see the old file or the new one, never half.

    ``durable=False`` skips flushing to the disk before the rename: for caches, which a power cut
    may leave empty (read as damaged and rebuilt) but never half-written to a running reader."""
    target = Path(path)
    if make_parents:
        target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = _temporary_beside(target)
    try:
        with (os.fdopen(fd, "wb") if isinstance(text, bytes) else os.fdopen(fd, "w", encoding="utf-8")) as handle:
            handle.write(text)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(temp, mode)
    except BaseException:
        _discard(temp)
        raise
    _move(temp, target)


#: How a temporary file is opened: created here and now (never an existing file, never through a
#: link), for writing, closed in any program this process starts.
_TEMPORARY_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _temporary_beside(target: Path) -> tuple[int, str]:
    """A new file (mode 0600) beside ``target``, named ``.NAME.RANDOM.tmp``, opened for writing:
    ``tempfile.mkstemp``'s way, without importing ``tempfile`` (and ``random``, ``shutil``...)
    into every run that writes a file."""
    for _ in range(100):
        temp = os.path.join(target.parent, f".{target.name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(temp, _TEMPORARY_FLAGS, 0o600), temp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {target}")


def check_output(path: str | os.PathLike[str], *, force: bool, what: str = "a file path") -> Path:
    """The path an output may be written to, or an InputError saying why not (nothing written)."""
    text = os.fspath(path)
    if not str(text).strip():
        raise InputError(f"expected {what}, found an empty name", where="--out")
    target = Path(text)
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", file=str(target)) from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise InputError("is a folder, expected a file path", file=str(target))
        if not stat.S_ISREG(info.st_mode):
            raise InputError("is not a regular file (a link, a device or a pipe); only regular files are "
                             "replaced", file=str(target))
        if not force:
            raise InputError("already exists; use --force to overwrite it (a .bak copy is kept)",
                             file=str(target))
    parent = target.parent
    if not parent.is_dir():
        raise InputError(f"no folder {str(parent)!r} to write into", file=str(target))
    return target


def write_output(path: str | os.PathLike[str], text: str, *, mode: int = 0o644, force: bool = False) -> Path:
    """Write an output the operator named: see ``check_output``; an existing file is kept as
    ``PATH.bak`` (a link to it, renamed over whatever ``PATH.bak`` was)."""
    target = check_output(path, force=force)
    if target.exists():
        _keep_backup(target)
    write_atomic(target, text, mode=mode, make_parents=False)
    return target


def _keep_backup(target: Path) -> None:
    backup = target.with_name(target.name + ".bak")
    if backup.is_dir() and not backup.is_symlink():
        raise InputError("is a folder; move it away to keep a backup here", file=str(backup))
    temp = target.with_name(f".{target.name}.bak.{os.getpid()}.tmp")
    try:
        os.link(target, temp, follow_symlinks=False)
    except OSError:
        # No hard links here: copy the (regular, bounded) file instead.
        data = _read_regular(target, 64 * 1024 * 1024, InputError)
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temp, stat.S_IMODE(os.lstat(target).st_mode))
    _move(temp, backup)


def _move(temp: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Rename ``temp`` over ``target`` (atomic on one filesystem); on failure ``temp`` is removed."""
    try:
        os.replace(temp, target)
    except BaseException:
        _discard(temp)
        raise


def _discard(temp: str | os.PathLike[str]) -> None:
    try:
        os.unlink(temp)
    except FileNotFoundError:
        pass


def _read_regular(path: str | os.PathLike[str], limit: int, error: type[InputError]) -> bytes:
    display = os.fspath(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise error("no such file", file=str(display)) from None
    except IsADirectoryError:
        raise error("is a folder, expected a file", file=str(display)) from None
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror}", file=str(display)) from None
    try:
        info = os.fstat(fd)
    except OSError as exc:
        os.close(fd)
        raise error(f"cannot read: {exc.strerror}", file=str(display)) from None
    if not stat.S_ISREG(info.st_mode):
        # Checked before the descriptor becomes a file object: os.fdopen refuses a folder's.
        os.close(fd)
        if stat.S_ISDIR(info.st_mode):
            raise error("is a folder, expected a file", file=str(display))
        raise error("is not a regular file (a device, a pipe or a socket)", file=str(display))
    with os.fdopen(fd, "rb") as handle:
        if info.st_size > limit:
            raise error(f"the file is {info.st_size:,} bytes; expected at most {limit:,}", file=str(display))
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise error(f"cannot read: {exc.strerror}", file=str(display)) from None
    if len(data) > limit:
        raise error(f"the file is more than {limit:,} bytes", file=str(display))
    return data


def read_text(path: str | os.PathLike[str], limit: int, error: type[InputError] = InputError) -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes, or ``error`` naming the file."""
    data = _read_regular(path, limit, error)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise error("not a text file (expected UTF-8 YAML or JSON)", file=os.fspath(path)) from None
