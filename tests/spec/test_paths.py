"""resolve_inside: a path written in an untrusted file stays in its allowed folders (absolute, '..' and symbolic links)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reportgen.data.paths import search_path
from reportgen.spec.paths import PathOutside, data_roots, inside, resolve_inside


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, Path]:
    """exp/ (the experiment's folder) with a file and a folder, data/ (a data path folder), out/ (anywhere else)."""
    exp, data, out = tmp_path / "exp", tmp_path / "data", tmp_path / "out"
    (exp / "answers").mkdir(parents=True)
    (exp / "answers" / "a.md").write_text("answer")
    (data / "letters").mkdir(parents=True)
    out.mkdir()
    (out / "secret.txt").write_text("secret")
    return {"exp": exp, "data": data, "out": out}


def test_a_relative_path_inside_is_its_real_path(tree: dict[str, Path]) -> None:
    assert resolve_inside("answers/a.md", [tree["exp"]]) == (tree["exp"] / "answers" / "a.md").resolve()
    assert resolve_inside("answers/../answers/a.md", [tree["exp"]]) == (tree["exp"] / "answers" / "a.md").resolve()
    assert resolve_inside("./answers", [tree["exp"]]) == (tree["exp"] / "answers").resolve()


@pytest.mark.parametrize("raw", ["../out/secret.txt", "answers/../../out/secret.txt", "/etc/passwd", "/proc/self/environ",
                                 "../../../../../../../../etc/passwd", "..", "/"])
def test_absolute_paths_elsewhere_and_dots_out_are_refused(tree: dict[str, Path], raw: str) -> None:
    with pytest.raises(PathOutside, match="outside"):
        resolve_inside(raw, [tree["exp"]])


def test_an_absolute_path_inside_a_root_is_accepted(tree: dict[str, Path]) -> None:
    file = tree["exp"] / "answers" / "a.md"
    assert resolve_inside(str(file), [tree["exp"]]) == file.resolve()
    assert resolve_inside(str(tree["data"] / "letters"), [tree["exp"], tree["data"]]) == (tree["data"] / "letters").resolve()


def test_symbolic_links_out_are_refused_the_file_or_any_folder_on_the_way(tree: dict[str, Path]) -> None:
    exp, out = tree["exp"], tree["out"]
    (exp / "link.md").symlink_to(out / "secret.txt")
    (exp / "folder").symlink_to(out)
    (exp / "answers" / "deep").symlink_to("../../out")  # relative link
    (exp / "dangling.md").symlink_to(out / "missing.md")
    for raw in ("link.md", "folder/secret.txt", "answers/deep/secret.txt", "dangling.md", str(exp / "link.md")):
        with pytest.raises(PathOutside, match="outside"):
            resolve_inside(raw, [exp])


def test_a_symbolic_link_that_stays_inside_is_followed(tree: dict[str, Path]) -> None:
    (tree["exp"] / "alias.md").symlink_to(tree["exp"] / "answers" / "a.md")
    assert resolve_inside("alias.md", [tree["exp"]]) == (tree["exp"] / "answers" / "a.md").resolve()


def test_a_root_reached_through_a_link_is_still_the_root(tree: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "via").symlink_to(tree["exp"])
    assert resolve_inside("answers/a.md", [tmp_path / "via"]) == (tree["exp"] / "answers" / "a.md").resolve()


def test_relative_paths_try_each_root_and_stay_in_the_one_they_are_read_against(tree: dict[str, Path]) -> None:
    roots = [tree["exp"], tree["data"]]
    assert resolve_inside("letters", roots) == (tree["data"] / "letters").resolve()
    (tree["exp"] / "letters").mkdir()
    assert resolve_inside("letters", roots) == (tree["exp"] / "letters").resolve()  # the experiment's folder first
    with pytest.raises(PathOutside):  # found from the first root by climbing out of it: refused, even if inside another
        resolve_inside("../data/letters", roots)


def test_a_name_found_nowhere_is_taken_in_the_first_root_for_its_reader_to_report(tree: dict[str, Path]) -> None:
    assert resolve_inside("nowhere/x", [tree["exp"], tree["data"]]) == (tree["exp"] / "nowhere" / "x").resolve()
    with pytest.raises(PathOutside):
        resolve_inside("../nowhere", [tree["exp"], tree["data"]])


@pytest.mark.parametrize("raw", ["", "  ", "a\0b"])
def test_what_is_no_path_is_refused(tree: dict[str, Path], raw: str) -> None:
    with pytest.raises(PathOutside):
        resolve_inside(raw, [tree["exp"]])


def test_home_is_expanded_only_when_asked_and_then_must_be_inside(tree: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tree["out"]))
    with pytest.raises(PathOutside):
        resolve_inside("~/secret.txt", [tree["exp"]], expand_user=True)
    assert resolve_inside("~", [tree["exp"]]) == (tree["exp"] / "~").resolve()  # a plain name when not expanded


def test_inside_follows_links_on_both_sides(tree: dict[str, Path]) -> None:
    assert inside(tree["exp"] / "answers" / "a.md", tree["exp"]) and inside(tree["exp"], tree["exp"])
    assert not inside(tree["exp"] / ".." / "out", tree["exp"])


@pytest.mark.parametrize("value", ["", "/a", f"/a{os.pathsep}/b", f"{os.pathsep}/a{os.pathsep}{os.pathsep} ", "~/d"])
def test_data_roots_read_the_data_path_as_the_data_layer_does(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORTGEN_DATA_PATH", value)
    assert data_roots() == search_path()
