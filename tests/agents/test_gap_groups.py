"""Folders as groups of pages and modules, within a budget."""

from __future__ import annotations

from learnd.agents.gap_groups import folder_groups


def test_few_paths_are_their_own_groups() -> None:
    paths = ["docs/a.md", "docs/b/c.md"]
    assert folder_groups(paths, 3) == {p: p for p in paths}


def test_many_paths_group_by_the_deepest_folder_that_fits() -> None:
    paths = [f"app/pkg_{p}/mod_{m}.py" for p in range(4) for m in range(5)]
    groups = folder_groups(paths, 4)
    assert set(groups.values()) == {f"app/pkg_{p}/" for p in range(4)}


def test_room_left_goes_to_the_heaviest_folders_one_level_down() -> None:
    paths = [f"app/f_{f}/m_{m}.py" for f in range(6) for m in range(3)] + ["README.md"]
    weights = {p: (50 if p.startswith("app/f_3/") else 1) for p in paths}
    groups = folder_groups(paths, 3, weights)
    # Two groups at the top level (app/, README.md), one for the heaviest folder.
    assert groups["app/f_3/m_0.py"] == "app/f_3/"
    assert groups["app/f_0/m_0.py"] == "app/"
    assert groups["README.md"] == "README.md"
    assert len(set(groups.values())) == 3
