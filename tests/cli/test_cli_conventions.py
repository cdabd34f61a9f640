"""Command-line conventions: one error prefix, a description per command, clear conflicts."""

from __future__ import annotations

import socket

from abm.cli import build_parser, main


def test_a_usage_error_has_one_prefix_naming_the_command(capsys):
    assert main(["run"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "abm: error: run: the following arguments are required: scenario"


def test_an_unknown_command_has_one_prefix(capsys):
    assert main(["fly"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("abm: error: argument command: invalid choice: 'fly'")


def test_every_command_has_a_description():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name, parser in sub.choices.items():
        assert parser.description and parser.description[0].isupper(), name
        assert parser.description in parser.format_help(), name


def test_workers_beside_dask_is_an_error(capsys, tmp_path):
    argv = ["sweep", "calm", "--dask", "tcp://127.0.0.1:1", "--workers", "2"]
    assert main([*argv, "--out", str(tmp_path / "s")]) == 2
    assert "--workers is for local processes" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


def test_app_on_a_busy_port_is_a_one_line_hint(capsys):
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        assert main(["app", "--host", "127.0.0.1", "--port", str(port), "--no-open"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"abm: error: cannot serve the app on 127.0.0.1:{port} (")
    assert "--port" in err and len(err.splitlines()) == 1
