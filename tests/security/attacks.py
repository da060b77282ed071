"""Generated attacks: other spellings of one id, invisible characters, over-long values,
hostile revisions and file names. Shared by the security tests."""

from __future__ import annotations

import unicodedata

from hypothesis import strategies as st

# Characters that show nothing: format (Cf) characters and other default ignorables.
INVISIBLE = [c for c in map(chr, range(0x10000)) if unicodedata.category(c) == "Cf"] + [
    "\u034f", "\u115f", "\u1160", "\u3164", "\uffa0", "\ufe00", "\ufe0f", "\U000e0041",
    "\x00", "\x07", "\x7f"]
# Whitespace NFKC turns into a plain space (or that is one already).
SPACES = [" ", "\t", "\n", "\u00a0", "\u2002", "\u2009", "\u3000", "\u202f", "\u205f"]


def full_width(text: str) -> str:
    """``text`` with printable ASCII in its full-width compatibility forms."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@st.composite
def spellings(draw: st.DrawFn, ident: str) -> str:
    """Another spelling of ``ident`` that is the same id once canonical: other case,
    full-width letters, invisible characters inside, spaces around."""
    chars = []
    for c in ident:
        if draw(st.booleans()):
            c = c.upper() if c.islower() else c.lower()
        if draw(st.integers(0, 3)) == 0:
            c = full_width(c)
        chars.append(c)
        if draw(st.integers(0, 4)) == 0:
            chars.append(draw(st.sampled_from(INVISIBLE)))
    body = "".join(chars)
    before = "".join(draw(st.lists(st.sampled_from(SPACES + INVISIBLE), max_size=3)))
    after = "".join(draw(st.lists(st.sampled_from(SPACES + INVISIBLE), max_size=3)))
    return before + body + after


blanks = st.lists(st.sampled_from(SPACES + INVISIBLE), min_size=1, max_size=6).map("".join)
"""Text that is blank once spaces and invisible characters are gone."""

# Revisions a command line could be fooled into reading as git options.
_OPTIONS = ["--output=OUT", "--output", "-oOUT", "--remote=x", "--remote", "-c",
            "-cprotocol.ext.allow=always", "--upload-pack=touch OUT", "--exec=touch OUT",
            "-", "--", "--end-of-options", "-p", "--all", "-h", "--git-dir=/tmp"]


@st.composite
def hostile_revisions(draw: st.DrawFn) -> str:
    """Revisions that start with ``-`` or hold whitespace or control characters."""
    kind = draw(st.integers(0, 2))
    if kind == 0:
        return draw(st.sampled_from(_OPTIONS))
    if kind == 1:
        rest = draw(st.text(st.characters(blacklist_characters=":", codec="utf-8"),
                            max_size=12))
        return "-" + rest
    head = draw(st.sampled_from(["HEAD", "main", "v1"]))
    gap = draw(st.sampled_from([" ", "\t", "\n", "\r", "\x00", "\x1b", "\x0b"]))
    return head + gap + draw(st.sampled_from(_OPTIONS))


# Characters that mean something in a URI or a path.
URI_SPECIALS = "?#%&=;+ @[]!$'()*,~:"

hostile_ids = st.one_of(
    st.sampled_from(["../../outside", "/etc/passwd", "..", ".", ".hidden", "a/b", "a\\b",
                     "C:\\x", "~", "-rf", "..\\..\\x", "x" * 300, "ＡＢ／..", "\u202e", "con"]),
    st.text(st.characters(codec="utf-8", blacklist_categories=("Cs",)), min_size=1,
            max_size=40))
"""Complaint ids (from a file) that would escape a folder if used as a path."""
