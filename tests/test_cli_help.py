"""Help that helps (SPEC §3): every command's --help ends with one or two examples, -q
means the same in every command, and option help is written in one style."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from conftest import run_cli, valid_sheets, write_workbook

from placeopt.cli import main


def commands(group: click.Group = main, path: tuple[str, ...] = ()
             ) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command and group of placeopt, with the words that reach it."""
    yield path, group
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))
        else:
            yield (*path, name), command


ALL = list(commands())
LEAVES = [(path, command) for path, command in ALL if not isinstance(command, click.Group)]


def examples_of(path: tuple[str, ...]) -> list[str]:
    """The examples at the end of a command's --help, as printed."""
    text = run_cli(*path, "--help").output.rstrip().splitlines()
    assert "  Examples:" in text, "\n".join(text)
    return [line.strip() for line in text[text.index("  Examples:") + 1:]]


@pytest.mark.parametrize(("path", "command"), ALL, ids=[" ".join(p) or "placeopt"
                                                        for p, _ in ALL])
def test_every_help_ends_with_one_or_two_examples(path: tuple[str, ...],
                                                  command: click.Command) -> None:
    found = examples_of(path)
    assert 1 <= len(found) <= 2, found
    for example in found:
        assert example.startswith(" ".join(("placeopt", *path))), example


@pytest.mark.parametrize(("path", "command"), LEAVES, ids=[" ".join(p) for p, _ in LEAVES])
def test_quiet_means_the_same_everywhere(path: tuple[str, ...], command: click.Command) -> None:
    from placeopt.cli_common import QUIET_HELP

    quiet = [p for p in command.params if p.name == "quiet"]
    assert quiet, f"placeopt {' '.join(path)} has no -q"
    assert sorted(quiet[0].opts) == ["--quiet", "-q"] and quiet[0].help == QUIET_HELP


@pytest.mark.parametrize(("path", "command"), LEAVES, ids=[" ".join(p) for p, _ in LEAVES])
def test_option_help_in_one_style(path: tuple[str, ...], command: click.Command) -> None:
    """A sentence, with its capital and full stop; a default that is not the value itself
    is in show_default, so that it reads "[default: ...]" as every other does."""
    for option in command.params:
        if not isinstance(option, click.Option) or option.name == "help":
            continue
        text = option.help or ""
        assert re.match(r"[A-Z(]", text) and text.endswith("."), (option.name, text)
        assert not re.search(r"[\[(]default|(^|\. )Default", text), (option.name, text)


def test_quiet_prints_nothing_when_all_is_well(tmp_path: Path) -> None:
    """-q: nothing at all from a command that went well (validate printed its verdict,
    template and report what they wrote)."""
    sheets = valid_sheets()
    path = write_workbook(tmp_path / "valid.xlsx", sheets)
    done = [run_cli("validate", path, "-q"),
            run_cli("template", tmp_path / "t.xlsx", "-q"),
            run_cli("run", path, "-o", tmp_path / "out", "--no-reports",
                    "--no-project-values", "-q"),
            run_cli("report", tmp_path / "out", "-q")]
    for result in done:
        assert (result.exit_code, result.output) == (0, ""), result.output


def test_quiet_still_says_what_went_wrong(tmp_path: Path) -> None:
    sheets = valid_sheets()
    sheets["Providers"][1][3] = "perhaps"  # in_area of P1
    result = run_cli("validate", write_workbook(tmp_path / "bad.xlsx", sheets), "-q")
    assert result.exit_code == 1
    assert "ERROR Providers!D2" in result.output
    assert "WARNING" not in result.output
