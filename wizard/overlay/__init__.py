"""The hardening overlay: the vendor's promised security options, applied to the vendor's template.

The customer deploys the vendor's real CloudFormation template, not the project's model of it.
The options promised in the answer to the security review (``PolicyCreationMode``,
``CustomerBucketPrefix``, ``AllowedAthenaWorkgroups``, ``EnableEnhancedSecurity``, ...) are kept
as data under ``assets/overlays/<name>/``: one rule a file, each naming the template parameter
it adds, the concern of the review it answers, what it matches in a template *by meaning* (a
role trusted by an AWS service that may create IAM policies, a statement granting S3 actions on
``*``, a trust policy naming another account, a security-group rule on a port no listener uses)
and the edits that put the option behind the new parameter. With every added parameter at its
default, the hardened template grants exactly what the vendor's does.

- ``rules``: load and validate the overlay's data (``assets/schemas/overlay.schema.json``);
- ``match``: the predicates that find what a rule acts on in a template body;
- ``edits``: the small vocabulary of edits, implemented once;
- ``boundary``: the permissions boundary of each role, holding what the template grants it:
  ``envelope`` reads what that is, ``fitting`` writes it within IAM's size limit, ``limits``
  splits a boundary still too long into a shorter one and a policy of Denies, ``branches``
  walks the ``Fn::If`` a value sits under;
- ``apply``: the whole hardening, with its provenance; ``outcome``: what it made, rule by rule
  (what matched, what was added, what matched nothing, what needs a change by the vendor);
- ``effects``: what each chosen option changes on the hardened template, rule by rule;
- ``kept``: a hardening kept in the cache folder and read back (what a summary shows without the
  overlay's rules, the outcomes built from them when asked for).

Layering: this package sits beside ``wizard.findings``. It may import the CloudFormation engine,
the IAM model and the top-level helpers (errors, paths, schemas); it must never import
``wizard.flow``, ``wizard.commands``, ``screens`` or Textual.
"""

__all__ = ["Hardening", "Overlay", "Rule", "RuleOutcome", "harden", "load_overlay"]

#: Where each name this package hands out is defined: its module is imported when the name is
#: first asked for, so a run on a template the overlay adds nothing to (the embedded one) never
#: imports the hardening.
_HOME = {"Hardening": "outcome", "RuleOutcome": "outcome", "harden": "apply", "Overlay": "rules", "Rule": "rules",
         "load_overlay": "rules"}


def __getattr__(name: str):
    if name in _HOME:
        import importlib

        return getattr(importlib.import_module(f"wizard.overlay.{_HOME[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
