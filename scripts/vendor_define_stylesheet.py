"""Copy the CDISC Define-XML 2.1 stylesheet into crfmap's package, unchanged, after checking its bytes.

    python scripts/vendor_define_stylesheet.py [--public-data ../shared/public-data]

The SDTM writer writes it beside every define.xml (which names it in its <?xml-stylesheet?> instruction), so that
a reviewer opening define.xml in a browser sees it rendered. The file is Lex Jansen's define2-1.xsl of the CDISC
Define-XML 2.1 package (lexjansen/define-xml-2.1-stylesheets @ 5e5058310bc86c73c7eae35117026a99ed811cdb), MIT
licence (its header keeps the notice; see THIRD_PARTY_NOTICES.md). The copy is byte-identical to the source; a
different source stops the script rather than ship something unchecked.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SOURCE = Path("cdisc") / "define-stylesheet" / "define2-1.xsl"
TARGET = REPO_ROOT / "src" / "crfmap" / "writers" / "sdtm" / "define" / "assets" / "define2-1.xsl"
SHA256 = "cc013e0545e46c2c4ad4ee459b4c371e7a9d8930ff472b908ed3f45709098a7e"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--public-data", type=Path, default=REPO_ROOT.parent / "shared" / "public-data")
    arguments = parser.parse_args(argv)
    data = (arguments.public_data / SOURCE).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256:
        print(f"{SOURCE}: SHA-256 {digest}, expected {SHA256}; not copied", file=sys.stderr)
        return 1
    TARGET.write_bytes(data)
    print(f"{TARGET.relative_to(REPO_ROOT)}: {len(data)} bytes, SHA-256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
