"""Content-Disposition with the original file name, UTF-8 included (RFC 6266 / RFC 5987)."""

import unicodedata
from urllib.parse import quote

# RFC 5987 attr-char beyond letters and digits; quote() keeps "_.-~" itself.
_ATTR_CHARS = "!#$&+^`|"


def _ascii_fallback(name: str) -> str:
    """For old clients: accents dropped ("Åhléns" → "Ahlens"), quotes and controls replaced."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    plain = "".join("_" if c in '"\\' or not c.isprintable() else c for c in plain).strip()
    return plain or "download"


def content_disposition(name: str, inline: bool = False) -> str:
    """`attachment; filename="Offert Ahlens.pdf"; filename*=UTF-8''Offert%20%C3%85hl%C3%A9ns.pdf`."""
    kind = "inline" if inline else "attachment"
    encoded = quote(unicodedata.normalize("NFC", name), safe=_ATTR_CHARS)
    return f"{kind}; filename=\"{_ascii_fallback(name)}\"; filename*=UTF-8''{encoded}"
