"""Profiles: named, reusable sets of answers, with per-account overrides.

The deployment modes (Standard, Restricted, Enterprise) are built-in profiles shipped in
``profiles/``. A user profile lives in the user's config folder (``QUILT_WIZARD_HOME``
overrides it), may ``extends:`` another profile, and has an ``accounts:`` section: for an AWS
account id, the values that differ there (VPC, subnets, certificate, KMS key...). Applying a
profile to an account gives layers of answers, weakest first: what it extends, itself, then
the account's overrides.

Secrets never reach a profile: NoEcho parameters of the template and anything that looks like
a credential are dropped on save, and files are written readable by their owner only.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

from wizard.flow.accounts import split_for_account
from wizard.flow.answers import Layer, read_document
from wizard.errors import InputError
from wizard.atomic import write_atomic
from wizard.paths import PROFILES, user_dir
from wizard.memo import memo

BUILTIN_MODES = ("standard", "restricted", "enterprise")
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
_SECRET = re.compile(r"(password|passwd|secret|token|credential|access_?key|private_?key)", re.IGNORECASE)


class ProfileError(InputError):
    """A profile that cannot be read, found or saved."""


@dataclass(frozen=True)
class Profile:
    """A named set of answers and parameters, with per-account overrides."""

    name: str
    description: str = ""
    extends: str | None = None
    answers: Mapping[str, Any] = field(default_factory=dict)
    parameters: Mapping[str, Any] = field(default_factory=dict)
    accounts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    requires: Mapping[str, str] = field(default_factory=dict)
    """Parameters the mode cannot do without (enterprise: the KMS key), with the reason."""
    source: str = ""
    builtin: bool = False
    data: Any = None

    @classmethod
    def from_document(cls, data: Mapping[str, Any], source: str, builtin: bool = False) -> "Profile":
        return cls(name=data["name"], description=str(data.get("description", "")).strip(),
                   extends=data.get("extends"), answers=dict(data.get("answers") or {}),
                   parameters=dict(data.get("parameters") or {}),
                   accounts={k: dict(v) for k, v in (data.get("accounts") or {}).items()},
                   requires=dict(data.get("requires") or {}), source=source, builtin=builtin, data=data)

    def to_document(self) -> dict[str, Any]:
        document: dict[str, Any] = {"name": self.name}
        if self.description:
            document["description"] = self.description
        if self.extends:
            document["extends"] = self.extends
        if self.answers:
            document["answers"] = dict(self.answers)
        if self.parameters:
            document["parameters"] = dict(self.parameters)
        if self.requires:
            document["requires"] = dict(self.requires)
        if self.accounts:
            document["accounts"] = {k: dict(v) for k, v in self.accounts.items()}
        return document

    def layers(self, account_id: str | None = None, *, _seen: tuple[str, ...] = ()) -> list[Layer]:
        """Layers of answers for an account, weakest first (what it extends comes first)."""
        if self.name in _seen:
            raise ProfileError(f"profiles extend each other in a circle: {' -> '.join(_seen + (self.name,))}",
                               file=self.source, where="/extends")
        layers = []
        if self.extends:
            layers += load_profile(self.extends).layers(account_id, _seen=_seen + (self.name,))
        # A profile's answers apply to any template; its parameters the template lacks (a profile
        # saved on the embedded template, used on the vendor's) are left out and named.
        layers.append(Layer(self.source, self.answers, self.parameters, self.data, portable=True))
        override = self.accounts.get(account_id or "")
        if override:
            layers.append(Layer(f"{self.source} (account {account_id})", override.get("answers") or {},
                                override.get("parameters") or {}, None, portable=True))
        return layers


def requirements(name: str | None) -> dict[str, str]:
    """What a mode or profile (and what it extends) requires: parameter -> reason."""
    found: dict[str, str] = {}
    seen: set[str] = set()
    while name and name not in seen:
        seen.add(name)
        profile = load_profile(name)
        found = {**profile.requires, **found}
        name = profile.extends
    return found


def user_profiles_dir() -> Path:
    return user_dir("config") / "profiles"


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ProfileError(f"{name!r} is not a profile name: use lower-case letters, digits, '-' and '_'",
                           where="NAME")


@memo(maxsize=8)
def builtin_profile(name: str) -> Profile:
    """A shipped deployment mode (read and validated once: the files never change in a run)."""
    path = PROFILES / f"{name}.yaml"
    return Profile.from_document(read_document(path, "profile", ProfileError), str(path), builtin=True)


def load_profile(name: str) -> Profile:
    """A built-in mode or a saved profile, by name."""
    _check_name(name)
    if name in BUILTIN_MODES:
        return builtin_profile(name)
    path = user_profiles_dir() / f"{name}.yaml"
    try:
        stat = path.stat()
    except OSError:
        stat = None
    if stat is None or not path.is_file():
        known = ", ".join(p.name for p in list_profiles())
        raise ProfileError(f"no profile named {name!r} (known: {known})", where="--profile")
    version = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
    loaded = _LOADED.get(path)
    if loaded is not None and loaded[0] == version:
        return loaded[1]
    profile = Profile.from_document(read_document(path, "profile", ProfileError), str(path))
    if profile.name != name:
        raise ProfileError(f"the file names the profile {profile.name!r}, expected {name!r}", file=str(path),
                           where="/name")
    _LOADED[path] = (version, profile)
    return profile


_LOADED: dict[Path, tuple[tuple[int, int, int], Profile]] = {}
"""Saved profiles already read and validated, with the file's inode, size and modification time:
a fleet of a hundred accounts asks for its profile several times per account, and a file saved
again (always a new inode: saves are atomic) is read again."""


def list_profiles() -> list[Profile]:
    """Built-in modes first, then saved profiles by name."""
    found = [builtin_profile(name) for name in BUILTIN_MODES]
    folder = user_profiles_dir()
    if folder.is_dir():
        for path in sorted(folder.glob("*.yaml")):
            try:
                found.append(Profile.from_document(read_document(path, "profile", ProfileError), str(path)))
            except ProfileError:
                continue  # `profiles show NAME` reports what is wrong with it
    return found


def scrub(values: Mapping[str, Any], secret_parameters: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Drop NoEcho parameters and anything named like a credential."""
    return {k: v for k, v in values.items() if k not in secret_parameters and not _SECRET.search(k)}


def question_parameters() -> dict[str, str]:
    """Question id -> the parameter a typed question sets (an answer judged as its parameter)."""
    from wizard.flow.catalog import load_catalog

    return {q.id: q.parameter for q in load_catalog().questions if q.parameter}


def account_profile(name: str, *, answers: Mapping[str, Any], parameters: Mapping[str, Any],
                    account_id: str | None, all_parameters_per_account: bool = False,
                    types: Mapping[str, str] | None = None, **options: Any) -> Profile:
    """A profile whose values tied to an account (its ARNs, VPC, subnets, certificate, KMS key,
    log group) go under ``accounts: <account_id>``, never in the part every account shares.

    ``all_parameters_per_account`` puts every parameter under the account. Without an account,
    tied values are refused, named."""
    split = split_for_account(answers, parameters, types, question_parameters())
    if split.account_names and not account_id:
        raise ProfileError(f"{', '.join(split.account_names)} belong to one AWS account; give the account "
                           "(--account-id or the answers file's stack.account_id) to keep them for it",
                           where="--account-id")
    own_parameters = dict(parameters) if all_parameters_per_account else split.account_parameters
    shared_parameters = {} if all_parameters_per_account else split.parameters
    override = {k: v for k, v in (("answers", split.account_answers), ("parameters", own_parameters)) if v}
    return Profile(name=name, answers=split.answers, parameters=shared_parameters,
                   accounts={account_id: override} if account_id and override else {}, **options)


def save_profile(profile: Profile, secret_parameters: frozenset[str] = frozenset(),
                 types: Mapping[str, str] | None = None, *, force: bool = False) -> Path:
    """Write a user profile (0600, atomically); built-in mode names are reserved, and values tied
    to one account are refused in the shared part (``account_profile`` places them).

    Saving over a saved profile merges its accounts (the new overrides win for the same
    account); its answers, parameters and base are replaced only with ``force``, and only
    kept when they are the same. One save at a time (a lock file beside the profiles), so that
    concurrent saves of one name lose no account.
    """
    _check_name(profile.name)
    shared = split_for_account(profile.answers, profile.parameters, types, question_parameters())
    if shared.account_names:
        raise ProfileError(f"{', '.join(shared.account_names)} belong to one AWS account and cannot be shared "
                           "by every account of the profile; keep them under accounts: <id>", where="NAME")
    if profile.name in BUILTIN_MODES:
        raise ProfileError(f"{profile.name!r} is a built-in mode; choose another name", where="NAME")
    if profile.extends:
        load_profile(profile.extends)
    clean = Profile(
        name=profile.name, description=profile.description, extends=profile.extends,
        answers=dict(profile.answers), parameters=scrub(profile.parameters, secret_parameters),
        accounts={account: {**override, "parameters": scrub(override.get("parameters") or {}, secret_parameters)}
                  for account, override in profile.accounts.items()})
    for account, override in list(clean.accounts.items()):
        if not override.get("parameters"):
            override.pop("parameters", None)
    path = user_profiles_dir() / f"{profile.name}.yaml"
    header = f"# quilt-wizard profile {profile.name}: reusable answers; secrets are never stored here.\n"
    from wizard.cfn.serialize import to_yaml  # only saving writes YAML

    try:
        with _profiles_lock():
            if path.exists():
                clean = _merged(load_profile(profile.name), clean, force)
            write_atomic(path, header + to_yaml(clean.to_document()), mode=0o600)
    except OSError as exc:
        raise ProfileError(f"cannot write the profile: {exc.strerror or exc}", file=str(path)) from None
    return path


def _merged(old: Profile, new: Profile, force: bool) -> Profile:
    """``new`` saved over ``old``: accounts merged, the rest the same or replaced with force."""
    def base(p: Profile) -> dict:
        return {"extends": p.extends, "answers": dict(p.answers), "parameters": dict(p.parameters)}

    if base(old) != base(new) and not force:
        raise ProfileError(f"a profile named {new.name!r} exists with other answers; use --force to replace "
                           "them (its accounts are kept)", file=old.source)
    accounts = {**{k: dict(v) for k, v in old.accounts.items()}, **{k: dict(v) for k, v in new.accounts.items()}}
    return Profile(name=new.name, description=new.description or old.description, extends=new.extends,
                   answers=new.answers, parameters=new.parameters, accounts=accounts)


@contextmanager
def _profiles_lock() -> Iterator[None]:
    """An exclusive lock on the profiles folder (a ``.lock`` file in it) while held."""
    folder = user_profiles_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a") as handle:
        try:
            import fcntl
        except ImportError:  # no advisory locks on this system
            yield
            return
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def delete_profile(name: str) -> Path:
    _check_name(name)
    if name in BUILTIN_MODES:
        raise ProfileError(f"{name!r} is a built-in mode and cannot be deleted", where="NAME")
    path = user_profiles_dir() / f"{name}.yaml"
    if not path.is_file():
        raise ProfileError(f"no saved profile named {name!r}", where="NAME")
    path.unlink()
    return path
