"""The CloudFormation engine: read a template, validate its parameters, evaluate it.

Reading (:mod:`.yamlsource`, :mod:`.template`) keeps a line for every key so that any message
can point into the file; :mod:`.parameters` validates values the way CloudFormation does;
:mod:`.evaluate` resolves conditions and intrinsic functions for one set of parameter values and
pseudo parameters (:mod:`.pseudo`), walking only the parts that hold one (:mod:`.intrinsics`);
:mod:`.serialize` writes an evaluated template back out.

This package knows nothing of IAM, questions, answers, files other than the template, or AWS:
besides the top-level helpers of ``wizard`` (``errors``, ``paths``), it must not import
``wizard.iam``, ``wizard.findings``, ``wizard.flow``, ``wizard.aws``, ``wizard.commands`` or the
UI. An import-linter ``layers`` contract in ``pyproject.toml`` holds it to that.
"""
