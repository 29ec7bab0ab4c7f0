"""The house style every stage reads: the font files and their coverage (fonts.py, repertoire.py)
and the layouts (layout.py: layout.yaml, templates, stylesheets). The loader refuses an office's
unusable font at its line, preflight checks coverage, compose measures titles and typeset embeds
the faces, so this sits beneath the stages, not in one of them."""
