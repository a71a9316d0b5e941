"""The alias rules of the one model registry: each rule alone, then real cross-source names."""

from __future__ import annotations

import pytest

from opengap.names import alias_key, canonical_country, canonical_key, strip_effort


@pytest.mark.parametrize(
    ("variant", "base"),
    [
        ("gpt-5.1_high", "gpt-5.1"),  # effort suffix, Epoch hub style
        ("DeepSeek-V3.2-Exp_thinking", "DeepSeek-V3.2-Exp"),
        ("o3-mini (high)", "o3-mini"),  # effort in parentheses, Artificial Analysis style
        ("Claude Opus 4.5 (max)", "Claude Opus 4.5"),
        ("GPT-5 (Non-reasoning)", "GPT-5"),
        ("Claude Sonnet 5 (Adaptive Reasoning, Low Effort)", "Claude Sonnet 5"),
    ],
)
def test_effort_suffixes_are_dropped(variant: str, base: str) -> None:
    assert strip_effort(variant) == base
    assert canonical_key(variant) == alias_key(base)


def test_a_hyphenated_thinking_is_part_of_the_name() -> None:
    assert canonical_key("Kimi-K2-Thinking") != canonical_key("Kimi-K2")
    assert strip_effort("Qwen3-235B-A22B-Thinking-2507") == "Qwen3-235B-A22B-Thinking-2507"


def test_effort_can_be_kept() -> None:
    assert canonical_key("gpt-5.1_high", effort=False) == "gpt51high"


@pytest.mark.parametrize(
    ("variant", "base"),
    [
        ("deepseek-ai/DeepSeek-V3.2-Exp", "DeepSeek-V3.2-Exp"),  # organisation prefix
        ("openai/gpt-oss-120b", "gpt-oss-120b"),
        ("Qwen3-Coder-480B-A35B-Instruct", "Qwen3-Coder-480B-A35B"),  # -Instruct
        ("Llama-4-Maverick-17B-128E-Instruct-FP8", "Llama-4-Maverick-17B-128E"),  # both
        ("Qwen2.5-72B-Instruct-AWQ", "Qwen2.5-72B"),
        ("gemma-3-27b-it-GGUF", "gemma-3-27b-it"),
        ("Mistral-7B-v0.1-bf16", "Mistral-7B-v0.1"),
    ],
)
def test_prefixes_instruct_and_quantisation_tags_are_dropped(variant: str, base: str) -> None:
    assert canonical_key(variant) == alias_key(base)


def test_dates_meet_in_any_spelling() -> None:
    assert canonical_key("gpt-4o (2024-08-06)") == canonical_key("gpt-4o-20240806")
    oct_24 = canonical_key("claude-3.5-sonnet-2024-10")
    assert canonical_key("Claude 3.5 Sonnet (Oct '24)") == oct_24
    assert canonical_key("MiMo-V2-Flash (Feb 2026)") == alias_key("MiMo-V2-Flash 202602")


def test_distinct_models_stay_distinct() -> None:
    assert canonical_key("Kimi-K2-Instruct-0905") != canonical_key("Kimi-K2-Instruct")
    assert canonical_key("gpt-oss-120b") != canonical_key("gpt-oss-20b")
    assert canonical_key("Qwen3-Coder-480B-A35B") != canonical_key("Qwen3-480B-A35B")


@pytest.mark.parametrize(
    ("names"),
    [
        # as written in ../shared/data: Epoch hub id, Artificial Analysis name, HELM name,
        # ATOM Hugging Face id
        ["gpt-oss-120b_high", "gpt-oss-120b (high)", "openai/gpt-oss-120b", "openai/gpt-oss-120b"],
        ["Qwen3-Coder-480B-A35B-Instruct", "Qwen3 Coder 480B A35B Instruct",
         "Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8"],
        ["DeepSeek-V3.2-Exp_thinking", "DeepSeek V3.2 Exp (Reasoning)",
         "deepseek-ai/DeepSeek-V3.2-Exp"],
    ],
)
def test_real_cross_source_names_meet(names: list[str]) -> None:
    assert len({canonical_key(n) for n in names}) == 1


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("United States of America", "United States"),
        ("USA", "United States"),
        ("us", "United States"),
        ("china", "China"),
        ("United Kingdom of Great Britain and Northern Ireland", "United Kingdom"),
        ("Korea (Republic of)", "South Korea"),
        ("France", "France"),
        ("United States of America,Canada", "United States,Canada"),
        ("", None),
    ],
)
def test_countries_have_one_spelling(text: str, country: str | None) -> None:
    assert canonical_country(text) == country
