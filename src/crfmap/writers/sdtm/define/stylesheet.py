"""The CDISC Define-XML 2.1 stylesheet (assets/define2-1.xsl, MIT; THIRD_PARTY_NOTICES.md), written beside
define.xml, which names it in its <?xml-stylesheet?> instruction: a browser opening define.xml shows it as HTML."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from crfmap.writers.sdtm.output_file import open_output

STYLESHEET = "define2-1.xsl"


def stylesheet_bytes() -> bytes:
    return resources.files(__package__).joinpath("assets", STYLESHEET).read_bytes()


def write_stylesheet(folder: Path) -> str:
    """Write the stylesheet into `folder`; its file name (the href define.xml uses)."""
    with open_output(folder / STYLESHEET) as stream:
        stream.write(stylesheet_bytes())
    return STYLESHEET
