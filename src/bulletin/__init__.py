"""bulletin: typesets Chinese bulletins (简报) into print-ready PDF.

    import bulletin
    result = bulletin.build("issues/shanxi-tongxin/2021-07", "out")   # writes out/<series>-<year>-<n>.pdf
    pdf = bulletin.render("issues/shanxi-tongxin/2021-07").pdf       # bytes, nothing written
    issue = bulletin.load_issue("issues/shanxi-tongxin/2021-07")     # the validated model
"""
__version__ = "0.1.0"
__all__ = ["build", "render", "load_issue", "BulletinError", "__version__"]


def __getattr__(name: str):
    # Lazy: importing WeasyPrint takes ~0.5 s, which `bulletin --help` should not pay.
    if name in ("build", "render"):
        from . import api

        return getattr(api, name)
    if name == "load_issue":
        from .source.load import load_issue

        return load_issue
    if name == "BulletinError":
        from .errors import BulletinError

        return BulletinError
    raise AttributeError(name)
