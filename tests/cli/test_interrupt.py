"""Ctrl-C ends the CLI in one line and exit code 130, never a traceback (issue 11)."""

from __future__ import annotations

import pytest

import opengap.cli as cli


@pytest.mark.parametrize("error", [KeyboardInterrupt(), RuntimeError("Query interrupted")])
def test_an_interrupt_is_one_line_and_exit_130(
    error: BaseException, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def app() -> None:
        raise error

    monkeypatch.setattr(cli, "app", app)
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 130
    assert capsys.readouterr().err == "Error: interrupted; nothing changed\n"


def test_another_runtime_error_is_not_taken_for_an_interrupt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def app() -> None:
        raise RuntimeError("something else")

    monkeypatch.setattr(cli, "app", app)
    with pytest.raises(RuntimeError, match="something else"):
        cli.main()
