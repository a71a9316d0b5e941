"""Name normalisation: model/benchmark ids and the alias keys that make lookups forgiving.

Both keep the letters and digits of every script (``ünïcødé-東京`` is an id of its own, not
``unicde``); ids of ASCII names are what they always were.
"""

from __future__ import annotations

import re
import unicodedata

_ID_PUNCTUATION = frozenset("._:/+-")
_SPACES = re.compile(r"\s+")


def _fold_marks(text: str) -> str:
    """Return ``text`` decomposed (NFKD) with its combining marks dropped: ``é`` -> ``e``."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def alias_key(name: str) -> str:
    """Return the lookup key of a name: lower case, accents folded, only letters and digits.

    ``"GPT-4o (2024-08-06)"`` and ``"gpt-4o-2024-08-06"`` both become ``"gpt4o20240806"``;
    ``"gpt-5.1_medium"`` and ``"GPT 5.1 medium"`` both become ``"gpt51medium"``; ``"Médium"``
    and ``"medium"`` meet; letters of other scripts stay (``"東京 LM"`` -> ``"東京lm"``).
    """
    return "".join(c for c in _fold_marks(name).lower() if c.isalnum())


def make_id(name: str) -> str:
    """Return a stable slug id for a name: lower case, spaces to ``-``, odd characters dropped.

    Ids that are already slugs (``gpt-5.1_medium``, ``amazon.nova-lite-v1:0``) keep their shape
    apart from case, so users recognise the ids of the sources they imported. Letters and
    digits of every script are kept as written (NFC): ``"Ünïcødé 東京"`` -> ``"ünïcødé-東京"``;
    a name with none (``"!!!"``) gives the empty id, which importers reject.
    """
    text = unicodedata.normalize("NFKC", name).strip().lower()
    text = unicodedata.normalize("NFC", _SPACES.sub("-", text))
    slug = "".join(
        c for c in text if c.isalnum() or c in _ID_PUNCTUATION or unicodedata.combining(c)
    ).strip("-")
    return slug if any(c.isalnum() for c in slug) else ""
