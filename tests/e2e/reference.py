"""Paths of the bundled reference study, for end-to-end tests."""

from tests.shared_data import REPO_ROOT

STUDY = REPO_ROOT / "mappings" / "blinatumomab_ped_all"
FIXTURES = REPO_ROOT / "fixtures" / "blinatumomab_ped_all"
CLEAN = FIXTURES / "clean.xlsx"
MESSY = FIXTURES / "messy.xlsx"
