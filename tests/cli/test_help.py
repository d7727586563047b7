"""Every command explains itself: `--help` works everywhere and says what the command does."""

from __future__ import annotations

import pytest

from fediverse_ai.cli import build_parser, main

COMMANDS = [
    ["init"], ["migrate"], ["run"], ["worker"], ["jobs"], ["lookup"], ["doctor"], ["user"],
    ["user", "create"], ["user", "list"], ["user", "suspend"], ["user", "unsuspend"], ["user", "password"],
    ["model"], ["model", "pull"], ["model", "make-tiny"], ["generate"],
    ["prompt-filter"], ["prompt-filter", "add"], ["prompt-filter", "list"], ["prompt-filter", "remove"],
]


def test_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    for command in ("init", "migrate", "run", "worker", "user", "jobs", "doctor"):
        assert f"    {command}" in text
    assert "fediverse-ai init" in text  # where a newcomer starts


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_each_command_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: fediverse-ai " + " ".join(command))
    description = text.split("\n\n")[1]
    assert len(description.split()) >= 4, f"{command} has no real description"


def test_every_registered_command_is_covered() -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    assert set(subparsers.choices) == {c[0] for c in COMMANDS}


def test_worker_refuses_an_unknown_lane(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["worker", "--lane", "gpu"])
    assert exited.value.code == 2
    assert "invalid choice: 'gpu'" in capsys.readouterr().err
