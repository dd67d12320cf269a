"""Which text encoding a csv file (or a folder of csv files from one export) is in, decided from its bytes.

Order of evidence: a byte-order mark names the encoding outright; then UTF-8, whose multi-byte sequences are
so regular that text in another encoding almost never passes as it; then a legacy single-byte encoding of
the sites crfmap serves (Windows Cyrillic cp1251, Windows Western cp1252), chosen by charset-normalizer and a
check that the words it decodes are written in one script: Western text read as Cyrillic makes words like
"Fiиvre", Cyrillic read as Western makes words of accented letters only ("Ôåáðèëüíàÿ").

A file with a few bytes that are not valid UTF-8 among many valid multi-byte characters is UTF-8 with damage
(one cp1251 byte typed into a UTF-8 export): it is read as UTF-8 and each damaged cell is reported (R018)
instead of the whole file turning to mojibake. The files of one export are decided together: a small file
whose few non-ASCII bytes happen to be valid UTF-8 ("Ж" + no-break space in cp1251 is C6 A0, UTF-8 for "Ơ")
takes its siblings' encoding; a file with ample UTF-8 evidence keeps UTF-8 whatever its siblings are.
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from crfmap.issues import FatalIssue, make_issue

CHUNK_BYTES = 1 << 20
SAMPLE_BYTES = 256 * 1024  # lines with non-ASCII bytes kept per file for choosing a single-byte encoding
# Valid UTF-8 multi-byte characters that make a file UTF-8 beyond doubt. Text in cp1251 or cp1252 passes as
# UTF-8 only where every byte above 127 is a lead byte followed by exactly the right continuation bytes; a
# handful of such accidents in a row happens in tiny files only.
AMPLE_UTF8 = 4
# A file with at least as many valid multi-byte characters as invalid bytes is UTF-8 with damaged cells (in
# cp1251 or cp1252 text, valid sequences are rare accidents among many invalid bytes).
DAMAGE_RATIO = 1
SINGLE_BYTE = ("cp1251", "cp1252")  # what sites' Excel saves as "CSV" on Russian and Western Windows
DESCRIPTIONS = {"cp1251": "cp1251 (Windows Cyrillic)", "cp1252": "cp1252 (Windows Western European)"}
BYTE_ORDER_MARKS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
REPLACEMENT = "\ufffd"


@dataclass(frozen=True, slots=True)
class Decision:
    """The encoding a file is read in, and the note to report when it was a guess (R014), if any."""

    encoding: str
    note: str | None = None


@dataclass
class ByteEvidence:
    """What one pass over a file's bytes tells: a byte-order mark, and how well it reads as UTF-8."""

    bom: str | None = None
    multibyte: int = 0  # valid UTF-8 characters above U+007F
    invalid: int = 0  # maximal invalid UTF-8 subsequences
    sample: list[bytes] = field(default_factory=list)  # lines holding bytes above 127

    @property
    def ascii_only(self) -> bool:
        return self.bom is None and self.multibyte == 0 and self.invalid == 0

    @property
    def utf8(self) -> bool:
        """UTF-8 beyond doubt: ample multi-byte characters and, if any invalid bytes, few of them."""
        return self.multibyte >= AMPLE_UTF8 and self.multibyte >= DAMAGE_RATIO * self.invalid

    @property
    def maybe_utf8(self) -> bool:
        """Valid UTF-8 throughout, but with too few multi-byte characters to exclude coincidence."""
        return self.invalid == 0 and 0 < self.multibyte < AMPLE_UTF8


def decide_encodings(files: Sequence[Path], named: str | None) -> dict[Path, Decision]:
    """The encoding of each file; `named` (--encoding) is used for all of them when given."""
    if named is not None:
        return {file: Decision(named_encoding(named)) for file in files}
    evidence = {file: gather_evidence(file) for file in files}
    single_byte = [file for file, found in evidence.items()
                   if found.bom is None and not found.ascii_only and not found.utf8 and not found.maybe_utf8]
    legacy = choose_single_byte([line for file in single_byte for line in evidence[file].sample]) \
        if single_byte else None
    decisions: dict[Path, Decision] = {}
    for file, found in evidence.items():
        if found.bom is not None:
            decisions[file] = Decision(found.bom)
        elif found.ascii_only or found.utf8 or (found.maybe_utf8 and legacy is None):
            decisions[file] = Decision("utf-8")
        else:  # a single-byte file, or one whose few UTF-8 characters may be chance, beside single-byte files
            chosen = legacy or "utf-8"
            like = ", like the other files of the folder" if found.maybe_utf8 else ""
            decisions[file] = Decision(chosen, f"{DESCRIPTIONS.get(chosen, chosen)}{like}")
    return decisions


def describe_encoding(encoding: str) -> str:
    """An encoding as messages name it: 'UTF-8', 'cp1251 (Windows Cyrillic)'."""
    if codecs.lookup(encoding).name == "utf-8" or encoding == "utf-8-sig":
        return "UTF-8"
    return DESCRIPTIONS.get(encoding, encoding)


def named_encoding(name: str) -> str:
    """The codec for --encoding, refused (R019) when Python has none by that name; utf-8 skips a BOM."""
    try:
        codec = codecs.lookup(name)
    except LookupError:
        raise FatalIssue(make_issue("R019", value=name)) from None
    return "utf-8-sig" if codec.name == "utf-8" else codec.name


def gather_evidence(file: Path) -> ByteEvidence:
    """One streamed pass: BOM, valid and invalid UTF-8, a sample of non-ASCII lines. NUL bytes are refused as
    binary (R003) unless a BOM says UTF-16/32, whose text is full of them."""
    found = ByteEvidence()
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    sampled = 0
    with file.open("rb") as stream:
        head = stream.read(4)
        for mark, encoding in BYTE_ORDER_MARKS:
            if head.startswith(mark):
                found.bom = encoding
                return found
        stream.seek(0)
        rest = b""
        while chunk := stream.read(CHUNK_BYTES):
            if b"\x00" in chunk:
                raise FatalIssue(make_issue("R003", file=file.name,
                                            detail="it contains binary data (NUL bytes), not text; if it is text in "
                                                   "UTF-16 without a byte-order mark, pass --encoding utf-16-le"))
            count_utf8(found, decoder.decode(chunk), chunk)
            if sampled < SAMPLE_BYTES:
                lines = (rest + chunk).split(b"\n")
                rest = lines.pop()
                for line in lines:
                    if not line.isascii() and sampled < SAMPLE_BYTES:
                        found.sample.append(line)
                        sampled += len(line)
        count_utf8(found, decoder.decode(b"", final=True), b"")
        if rest and not rest.isascii() and sampled < SAMPLE_BYTES:
            found.sample.append(rest)
    return found


def count_utf8(found: ByteEvidence, text: str, raw: bytes) -> None:
    replaced = text.count(REPLACEMENT) - raw.count(b"\xef\xbf\xbd")  # a U+FFFD written in the file is valid
    found.invalid += max(replaced, 0)
    found.multibyte += len(text) - len(text.encode("ascii", "ignore")) - max(replaced, 0)


def choose_single_byte(lines: Sequence[bytes]) -> str:
    """cp1251 or cp1252 for these lines: the one with fewer bytes it cannot decode and words in mixed scripts
    (each counts one); charset-normalizer breaks ties. Lines are joined so that a folder is decided as one."""
    from charset_normalizer import from_bytes

    data = b"\n".join(lines)
    ranked = [match.encoding for match in from_bytes(data, cp_isolation=list(SINGLE_BYTE), threshold=1.0)]

    def order(encoding: str) -> tuple[int, int]:
        text = data.decode(encoding, errors="replace")
        rank = ranked.index(encoding) if encoding in ranked else len(ranked)
        return text.count(REPLACEMENT) + count_implausible_words(text), rank

    return min(SINGLE_BYTE, key=order)


# Accented letters that are words on their own (French à, Italian è, Portuguese é …); a lone "æ" or "ì" is a
# Cyrillic letter ("ж", "м") read with the Western table.
LONE_LETTER_WORDS = frozenset("àÀèÈéÉóÓòÒ")


def count_implausible_words(text: str) -> int:
    """Words no one writes: Latin and Cyrillic letters mixed ("Fiиvre"), accented Latin letters with no plain
    one ("ìóæ", or a lone "æ"), the marks of text decoded with the wrong single-byte table."""
    implausible = 0
    for word in split_words(text):
        plain = sum(1 for character in word if character.isascii())
        cyrillic = sum(1 for character in word if "\u0400" <= character <= "\u04ff")
        accented = len(word) - plain - cyrillic
        if cyrillic and (plain or accented) or accented and not plain and not cyrillic and word not in LONE_LETTER_WORDS:
            implausible += 1
    return implausible


def split_words(text: str) -> list[str]:
    words: list[str] = []
    current: list[str] = []
    for character in text:
        if character.isalpha():
            current.append(character)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words
