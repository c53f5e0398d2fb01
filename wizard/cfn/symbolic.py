"""Lists known only after deployment, and the Availability Zones of each region.

``!Select [1, !Split ['/', !Ref Certificate]]`` takes apart a value CloudFormation knows only
once the certificate exists. The evaluator cannot split ``${Certificate}``, yet the template is
valid, and two evaluations must still compare equal when nothing changed. So the split of a
deployment-time value is a ``SymbolicList``: the parts before the first unknown token are
exact, and element ``i`` from there on is the stable token ``${Certificate}.split('/')[1]``:
the delimiter stays in the token, so ``!Select [0, !Split ['.', !GetAtt Bucket.DomainName]]``
reads as the bucket's name (``${Bucket.DomainName}.split('.')[0]``), not as the whole domain
name. A list attribute (``!GetAtt Eni.SecondaryPrivateIpAddresses``) selects the same way,
without a delimiter (``${Eni.SecondaryPrivateIpAddresses}[0]``).

``Fn::GetAZs`` answers from ``assets/availability-zones.yaml`` (the real zones of every region,
with the table's source and date); a region the table does not know gives a symbolic list.
"""

from __future__ import annotations

import re
from pathlib import Path

from wizard.paths import ASSETS
from wizard.memo import once

_TOKEN = re.compile(r"\$\{[^}]*\}")
ZONES_ASSET: Path = ASSETS / "availability-zones.yaml"


class SymbolicList(list):
    """A list whose members past ``known`` exist only after deployment.

    As a plain list it shows its exact leading members and then one ``label[i:]`` token that
    stands for the rest, so rendering and diffing see something stable.
    """

    __slots__ = ("label", "known", "source", "delimiter")

    def __init__(self, label: str, known: tuple[str, ...] = (), source: str | None = None,
                 delimiter: str | None = None):
        rest = f"{label}[{len(known)}:]" if known else f"{label}[*]"
        super().__init__([*known, rest])
        self.label = label
        self.known = tuple(known)
        self.source = source
        self.delimiter = delimiter

    def element(self, index: int) -> str:
        """Member ``index``: exact when known, else the token ``label[index]``."""
        return self.known[index] if index < len(self.known) else f"{self.label}[{index}]"


def is_token(value: object) -> bool:
    """Whether ``value`` is exactly one deployment-time token such as ``${Eni.Addresses}``."""
    return isinstance(value, str) and _TOKEN.fullmatch(value) is not None


def split(text: str, delimiter: str) -> list[str]:
    """``Fn::Split``: exact for known text, a ``SymbolicList`` past a deployment-time token."""
    match = _TOKEN.search(text)
    if match is None:
        return text.split(delimiter)
    known = tuple(text[:match.start()].split(delimiter)[:-1])
    label = (text if is_token(text) else f"({text})") + f".split({delimiter!r})"
    return SymbolicList(label, known, text, delimiter)


@once
def zones() -> dict[str, tuple[str, ...]]:
    """Every region's Availability Zones from the asset (read once; its schema is checked by
    the tests, not on every run)."""
    from wizard.cfn import parsecache

    data = parsecache.read_shipped(ZONES_ASSET.read_text(encoding="utf-8"), str(ZONES_ASSET))
    return {region: tuple(names) for region, names in data["regions"].items()}


def availability_zones(region: str) -> list[str]:
    """``Fn::GetAZs`` for a region: its zones, or a symbolic list when the region is unknown."""
    found = zones().get(region)
    return list(found) if found is not None else SymbolicList("${AZs:" + region + "}")
