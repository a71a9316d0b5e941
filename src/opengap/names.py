"""Name normalisation: model/benchmark ids and the alias keys that make lookups forgiving.

Both keep the letters and digits of every script (``ünïcødé-東京`` is an id of its own, not
``unicde``); ids of ASCII names are what they always were.
"""

from __future__ import annotations

import re
import unicodedata

_ID_PUNCTUATION = frozenset("._:/+-")
_SPACES = re.compile(r"\s+")
_NOT_ASCII_ALNUM = re.compile(r"[^0-9a-z]+")


def _fold_marks(text: str) -> str:
    """Return ``text`` decomposed (NFKD) with its combining marks dropped: ``é`` -> ``e``."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def alias_key(name: str) -> str:
    """Return the lookup key of a name: lower case, accents folded, only letters and digits.

    ``"GPT-4o (2024-08-06)"`` and ``"gpt-4o-2024-08-06"`` both become ``"gpt4o20240806"``;
    ``"gpt-5.1_medium"`` and ``"GPT 5.1 medium"`` both become ``"gpt51medium"``; ``"Médium"``
    and ``"medium"`` meet; letters of other scripts stay (``"東京 LM"`` -> ``"東京lm"``).
    """
    if name.isascii():  # the common case, the same result without per-character work
        return _NOT_ASCII_ALNUM.sub("", name.lower())
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


# ---------------------------------------------------------------------------- one registry
# The canonical key folds spellings that name the same model in different sources. Each rule is
# documented in docs/data.md ("Alias rules") and tested in tests/test_names.py.

#: Effort or mode settings written as a suffix: ``gpt-5.1_high`` (Epoch hub), ``o3-mini (high)``,
#: ``GPT-5 (Non-reasoning)`` (Artificial Analysis), ``DeepSeek-V3.2-Exp_thinking`` (hub). A
#: hyphenated ``-Thinking`` is *not* an effort (``Kimi-K2-Thinking`` is its own model).
_EFFORT_WORDS = (
    "minimal|low|medium|high|xhigh|max|none|thinking|nothinking|non-thinking|reasoning"
    "|non-reasoning|adaptive reasoning|extended thinking"
)
_EFFORT_UNDERSCORE = re.compile(rf"_(?:{_EFFORT_WORDS})$", re.IGNORECASE)
_EFFORT_PAREN = re.compile(
    rf"\s*\((?:(?:{_EFFORT_WORDS})(?:[ ,]+(?:{_EFFORT_WORDS}|[a-z]+ effort))*|[a-z]+ effort)\)$",
    re.IGNORECASE,
)
#: Quantisation and precision tags of a checkpoint (same model, other number format).
_QUANT = re.compile(
    r"[-_. ](?:fp8|fp16|bf16|int4|int8|awq|gptq|gguf|mlx|w4a16|w8a8|q4_k_m|q8_0|4bit|8bit)"
    r"(?:[-_](?:dynamic|static))?$",
    re.IGNORECASE,
)
_INSTRUCT = re.compile(r"[-_ ]instruct$", re.IGNORECASE)
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_MONTH_DATE = re.compile(
    r"\((jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s*'?\s*(\d{2}|\d{4})\)",
    re.IGNORECASE,
)


def strip_effort(name: str) -> str:
    """Return ``name`` without an effort/mode suffix (``gpt-5.1_high`` -> ``gpt-5.1``)."""
    stripped = _EFFORT_UNDERSCORE.sub("", name.strip())
    return _EFFORT_PAREN.sub("", stripped).strip()


def canonical_key(name: str, *, effort: bool = True) -> str:
    """Return the key under which spellings of one model from different sources meet.

    On top of :func:`alias_key` (case, punctuation, ``2024-08-06`` = ``20240806``) it drops an
    organisation prefix (``deepseek-ai/``, ``openai/``), quantisation tags (``-FP8``, ``-AWQ``,
    ``-GGUF``, ``-bf16`` ...), a trailing ``-Instruct``, and, unless ``effort=False``, an effort
    suffix (``_high``, ``(max)``, ``(Non-reasoning)``); month dates are spelled as digits
    (``(Oct '24)`` -> ``202410``). Several rules may apply (``-Instruct-FP8``).
    """
    text = name.strip()
    if "/" in text:
        text = text.rsplit("/", 1)[1]
    if effort:
        text = strip_effort(text)
    text = _MONTH_DATE.sub(_month_digits, text)
    previous = None
    while previous != text:
        previous = text
        text = _QUANT.sub("", text)
        text = _INSTRUCT.sub("", text).strip()
    return alias_key(text)


def _month_digits(match: re.Match[str]) -> str:
    month = _MONTHS[match.group(1).lower()[:3]]
    year = match.group(2)
    year = year if len(year) == 4 else f"20{year}"
    return f"{year}{month:02d}"


# ---------------------------------------------------------------------------- countries
#: Spellings of a country in the sources -> the one name opengap stores. Keys are lower case.
COUNTRY_NAMES: dict[str, str] = {
    "united states of america": "United States", "usa": "United States",
    "us": "United States", "u.s.": "United States", "u.s.a.": "United States",
    "united states": "United States", "america": "United States",
    "china": "China", "prc": "China", "people's republic of china": "China",
    "united kingdom of great britain and northern ireland": "United Kingdom",
    "uk": "United Kingdom", "great britain": "United Kingdom", "united kingdom": "United Kingdom",
    "korea (republic of)": "South Korea", "republic of korea": "South Korea",
    "korea": "South Korea", "south korea": "South Korea",
    "uae": "United Arab Emirates", "viet nam": "Vietnam",
    "iran (islamic republic of)": "Iran", "russian federation": "Russia",
    "czech republic": "Czechia",
}  # fmt: skip


def canonical_country(text: str | None) -> str | None:
    """Return the canonical spelling of a country (or of each in ``"A,B"``), None if empty.

    ``"United States of America"`` and ``"USA"`` become ``"United States"``; a name not in
    :data:`COUNTRY_NAMES` is kept as written (trimmed).
    """
    if text is None or not text.strip():
        return None
    parts = [p.strip() for p in text.split(",") if p.strip()]
    names = [COUNTRY_NAMES.get(p.lower(), p) for p in parts]
    return ",".join(dict.fromkeys(names))
