"""Checks: lint (the text's conventions, with fixes), preflight (what would fail or look wrong before
anything is typeset) and postflight (the typeset PDF read back). Preflight and lint run before
compose but use its rules (title breaking, the layout's fonts), so that they predict what compose
will do: in the import order check sits above compose and below typeset, which runs postflight."""
