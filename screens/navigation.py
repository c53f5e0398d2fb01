"""What a screen may ask of the wizard it belongs to, without importing the app.

The app (``screens.app``) imports every screen; a screen that imported the app back would
close a cycle. Screens instead see the app through ``WizardNavigation``, the few things they
use: the options the command line decided, the run in progress, and moving between steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping, Protocol

if TYPE_CHECKING:
    from screens.aws.session import DeploySession
    from wizard.flow.draft import Draft


@dataclass(frozen=True)
class WizardOptions:
    """What the command line (or a test) decided before the first screen."""

    template_path: str | None = None
    profile: str | None = None
    stack_name: str | None = None
    region: str | None = None
    account_id: str | None = None
    out: str | None = None
    fmt: str = "cfn"
    baseline: str | None = None
    settings: Mapping[str, str] = field(default_factory=dict)
    force: bool = False
    aws_profile: str | None = None
    endpoint_url: str | None = None
    template_bucket: str | None = None
    aws_deadline: float | None = None
    """``--aws-deadline``: the seconds each AWS call of the screens may take in all."""
    access_analyzer: bool = False
    """``--access-analyzer``: the preflight screen's IAM Access Analyzer box starts ticked."""


class WizardNavigation(Protocol):
    """The app as its screens see it."""

    options: WizardOptions
    session: "DeploySession | None"

    def position(self, step: str, section: str) -> str:
        """Where ``step`` stands in the run, for the header."""
        ...

    def target_line(self) -> str:
        """The stack, region and account being deployed, for the header."""
        ...

    def go_next(self, step: str) -> None:
        """Leave ``step`` forwards."""
        ...

    def go_back(self, step: str) -> None:
        """Leave ``step`` backwards."""
        ...

    def adopt(self, session: "DeploySession") -> None:
        """Make ``session`` the run in progress (the start screen's confirmation)."""
        ...

    def resume(self, draft: "Draft", session: "DeploySession") -> None:
        """Continue the run saved in ``draft``, opened as ``session`` (``DeploySession.from_draft``,
        in a worker of the start screen)."""
        ...

    def finished(self) -> None:
        """The parameter file is written."""
        ...

    def exit(self, result: int | None = None) -> None:
        """Leave the wizard with ``result`` as the exit status."""
        ...
