"""The wizard itself: from the operator's answers to the files a deployment needs.

The question catalog (:mod:`.catalog`), answers files and their precedence (:mod:`.answers`),
saved profiles (:mod:`.profiles`), drafts (:mod:`.draft`), the target stack and template
(:mod:`.stack`), the headless run (:mod:`.headless`), the line prompts (:mod:`.prompts`),
parameter files (:mod:`.paramfile`), the security report's files (:mod:`.report`) and the text
rendering of grants and diffs for a terminal (:mod:`.terminal`).

It sits on ``wizard.findings``, ``wizard.iam`` and ``wizard.cfn`` and must not import
``wizard.aws`` (AWS calls stay behind the commands and the screens), ``wizard.commands`` or the
UI.
"""
