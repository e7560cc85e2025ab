"""``tools.test_shards``: groups of tests side by side, each line named by its group, the
exit status the first failing group's (so `make test` fails when any group fails)."""
from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT
from tools.test_shards import group_name, split_environment


def write_group(parent, name: str, body: str):
    group = parent / name
    group.mkdir()
    (group / f"test_{name}.py").write_text(body)
    return group


def shards(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tools.test_shards", *map(str, args)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_every_group_runs_in_its_own_pytest_and_a_failing_one_fails_the_whole(tmp_path):
    passing = write_group(tmp_path, "passing", "def test_one():\n    assert 1 + 1 == 2\n")
    failing = write_group(tmp_path, "failing", "def test_two():\n    assert 'a' == 'b'\n")

    result = shards(passing, failing, "--", "-p", "no:cacheprovider", "-q")

    assert result.returncode == 1, result.stdout
    lines = result.stdout.splitlines()
    assert any(line.startswith("passing | ") and "1 passed" in line for line in lines)
    assert any(line.startswith("failing | ") and "1 failed" in line for line in lines)
    assert any(line.startswith("failing | ") and "AssertionError" in line for line in lines)
    assert "== passing: exit 0 in" in result.stdout
    assert "== failing: exit 1 in" in result.stdout


def test_groups_that_all_pass_exit_0_and_the_pytest_arguments_reach_each(tmp_path):
    one = write_group(tmp_path, "one", "def test_a():\n    pass\n\ndef test_b():\n    pass\n")
    two = write_group(tmp_path, "two", "import time\n\ndef test_c():\n    time.sleep(3)\n")

    result = shards(one, two, "--", "-p", "no:cacheprovider", "-q", "-k", "a or c")

    assert result.returncode == 0, result.stdout
    assert "one | 1 passed, 1 deselected" in result.stdout
    assert "two | 1 passed" in result.stdout
    assert "== 2 groups side by side in" in result.stdout
    # each group's own time: the quick one is not charged with the slow one's sleep
    one_took = int(result.stdout.split("== one: exit 0 in ")[1].split(" s")[0])
    two_took = int(result.stdout.split("== two: exit 0 in ")[1].split(" s")[0])
    assert one_took < two_took, result.stdout


def test_no_group_is_a_usage_error():
    result = shards("--", "-q")
    assert result.returncode == 2
    assert "groups" in result.stderr


def test_a_group_carries_options_of_its_own_and_is_named_by_its_paths(tmp_path):
    first = write_group(tmp_path, "first", "def test_a():\n    pass\n\ndef test_b():\n    pass\n")
    second = write_group(tmp_path, "second", "def test_c():\n    pass\n")
    third = write_group(tmp_path, "third", "def test_d():\n    pass\n")

    result = shards(f"{first} {second}/ -k 'a or c'", third, "--", "-p", "no:cacheprovider",
                    "-q")

    assert result.returncode == 0, result.stdout
    # the first group's -k reached only it; both its paths ran in one pytest
    assert "first+second | 2 passed, 1 deselected" in result.stdout
    assert "third | 1 passed" in result.stdout
    assert "== first+second: exit 0 in" in result.stdout


def test_a_group_is_named_by_its_leading_paths_only():
    assert group_name(["tests/unit", "tests/integration/", "--cov", "-k", "x"]) == \
        "unit+integration"
    assert group_name(["-q"]) == "pytest"


def test_a_group_sets_its_own_environment_first_as_a_shell_would(tmp_path):
    seen = write_group(tmp_path, "seen", "import os\n\ndef test_e():\n"
                       "    assert os.environ['GROUP_MARK'] == 'a b'\n")
    unset = write_group(tmp_path, "unset", "import os\n\ndef test_f():\n"
                        "    assert 'GROUP_MARK' not in os.environ\n")

    result = shards(f"GROUP_MARK='a b' {seen}", unset, "--", "-p", "no:cacheprovider", "-q")

    assert result.returncode == 0, result.stdout
    assert "seen | 1 passed" in result.stdout and "unset | 1 passed" in result.stdout
    assert split_environment(["A=1", "B=x=y", "tests/unit", "-k", "C=2"]) == (
        {"A": "1", "B": "x=y"}, ["tests/unit", "-k", "C=2"])
    assert group_name(["COVERAGE_FILE=.coverage.a", "tests/unit", "--cov"]) == "unit"
