"""What a writer's options are when a Python caller gives none: the values the command line would give (a flag is
False, not None), so that `write` receives the types its options declare."""

from __future__ import annotations

from click.testing import CliRunner

from crfmap.writers import WRITERS


def test_an_unset_flag_is_false_like_on_the_command_line():
    for writer in WRITERS.values():
        defaults = writer.default_options()
        assert set(defaults) == {option.name for option in writer.options}
        for option in writer.options:
            if option.kind == "flag":
                assert defaults[option.name] is False, (writer.name, option.name)


def test_the_command_line_gives_the_same_defaults(tmp_path, monkeypatch):
    """`convert` without writer options passes exactly the registry's defaults to each writer."""
    from crfmap.api import conversion
    from crfmap.cli import main
    from tests.e2e.reference import CLEAN, STUDY

    seen: dict[str, dict] = {}
    original = conversion.ConvertOptions.options_of

    def recording(self: conversion.ConvertOptions, target: str) -> dict:
        seen[target] = original(self, target)
        return seen[target]

    monkeypatch.setattr(conversion.ConvertOptions, "options_of", recording)
    result = CliRunner().invoke(main, ["convert", str(CLEAN), "--study", str(STUDY), "--out", str(tmp_path / "out"),
                                       "--transliterate"])
    assert result.exit_code == 0, result.output[-2000:]
    for target, values in seen.items():
        defaults = WRITERS[target].default_options()
        given = {name: value for name, value in values.items() if name != "transliterate"}
        assert given == {name: value for name, value in defaults.items() if name != "transliterate"}, target
