"""The registry (GTO tags in a real Git repository): versions, stages, rollback, card.
(Promotion on main, with the pipeline and the workflows, is tested by the template.)"""

import json
import subprocess
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import registry
from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.config import load_lifecycle
from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.release.card import render

PROD = "prod"
# eval/data.json as the prepare stage writes it, in short.
PROFILE = {
    "source": "scikit-learn's breast-cancer table",
    "target": "target",
    "rows": {"train": 8, "test": 2, "without target": 0},
    "features": {"mean radius": "numeric", "worst texture": "numeric"},
    "ids": [],
    "split": {"method": "random", "column": None, "test_size": 0.2},
    "positive_class": "1",
    "leaks": [{"column": "worst texture", "warning": "column 'worst texture' alone predicts"}],
}
RECORD = f"{registry.GATE_RECORD} (as the promotion records it)"


def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def repo(project, monkeypatch):
    """The scratch project as a Git repository; three commits, each with its metrics."""
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "test@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "test@example.com")
    git("init", "-q", "-b", "main")
    name = load_lifecycle().model.name
    commits = []
    for index in range(3):
        (project / "eval").mkdir(exist_ok=True)
        (project / "eval" / "metrics.json").write_text(json.dumps({"score": index}))
        (project / "eval" / "data.json").write_text(json.dumps(PROFILE))
        (project / "dvc.lock").write_text(
            "schema: '2.0'\nstages:\n  prepare:\n    deps:\n    - path: data/raw\n"
            f"      md5: raw{index}\n    outs: []\n"
        )
        git("add", "--all")
        git("commit", "-q", "-m", f"model {index}")
        commits.append(git("rev-parse", "HEAD").strip())
    return name, commits


def promote_all(name: str, commits: list[str]) -> None:
    for commit in commits:
        version = registry.register(name, commit, "minor", RECORD)
        registry.put(name, PROD, version)


def test_versions_bump_from_v1_and_the_highest_assigned_holds_the_stage(repo):
    name, commits = repo
    assert registry.holder(name, PROD) is None
    promote_all(name, commits)
    assert [v.version for v in registry.versions(name)] == ["v1.0.0", "v1.1.0", "v1.2.0"]
    assert registry.holder(name, PROD) == registry.Version("v1.2.0", commits[2])
    assert registry.previous(name, PROD).version == "v1.1.0"
    assert registry.at_commit(name, commits[0]).version == "v1.0.0"


def test_rollback_goes_back_one_version_at_a_time_and_assign_goes_forward(repo, capsys):
    name, commits = repo
    promote_all(name, commits)
    assert main(["rollback", "--no-push"]) == 0
    assert registry.holder(name, PROD).version == "v1.1.0"
    assert main(["rollback", "--no-push"]) == 0
    assert registry.holder(name, PROD).version == "v1.0.0"
    assert main(["rollback", "--no-push"]) == 1
    assert "no earlier version to roll back to (v1.0.0 is the first" in capsys.readouterr().err
    assert main(["assign", "v1.2.0", "--no-push"]) == 0
    assert registry.holder(name, PROD).version == "v1.2.0"
    assert main(["assign", "v1.2.0", "--no-push"]) == 0
    assert "already holds prod; nothing to do" in capsys.readouterr().out


def test_unknown_version_is_refused_and_no_tag_is_made(repo, capsys):
    name, commits = repo
    promote_all(name, commits)
    before = git("tag", "--list")
    assert main(["rollback", "--to", "v9.9.9", "--no-push"]) == 1
    error = capsys.readouterr().err
    assert f"model {name}: no version v9.9.9 in the registry (registered: v1.0.0" in error
    assert git("tag", "--list") == before


def test_push_failure_removes_the_tags_it_made(repo):
    name, commits = repo
    promote_all(name, commits[:1])
    made = registry.put(name, "staging", registry.find(name, "v1.0.0"))
    with pytest.raises(ProjectError, match="to origin failed; nothing changed there"):
        registry.push(made)  # this repository has no origin
    assert not set(made) & set(git("tag", "--list").split())


def test_model_card_has_the_lifecycle_data_metrics_lineage_and_rollback(repo, capsys):
    name, commits = repo
    promote_all(name, commits[:2])
    previous = registry.find(name, "v1.0.0")
    card = render(name, "v1.1.0", commits[1], PROD, previous)
    lifecycle = load_lifecycle()
    assert card.startswith(f"# Model card: {name} v1.1.0")
    assert lifecycle.model.owner in card and lifecycle.model.intended_use in card
    assert "- `data/raw`: md5 `raw1`" in card
    assert "| score ↓ | 1.0000 |" in card
    assert f"Previous production version: `v1.0.0` (commit `{commits[0][:7]}`)" in card
    assert "- numeric features: `mean radius`, `worst texture`" in card
    assert "- ⚠️ column 'worst texture' alone predicts; acknowledged: " in card
    lineage = f"- Version: `v1.1.0` of `{name}`, from commit `{commits[1]}`"
    assert lineage in card.splitlines()
    assert "rollback --to v1.0.0" in card
    assert main(["model-card", "--output", "card.md"]) == 0
    text = Path("card.md").read_text(encoding="utf-8")
    assert text.startswith(f"# Model card: {name} v1.1.0")
    assert "**Stage:** prod" in text
    capsys.readouterr()
    assert main(["model-card", "--version", "v1.0.0"]) == 0
    older = capsys.readouterr().out
    assert older.startswith(f"# Model card: {name} v1.0.0")
    assert "**Stage:** registered" in older and "Previous production version: none" in older


def test_model_card_reads_the_commit_s_yaml_strictly(repo):
    """A params.yaml with a key twice at the version's commit is an error naming the
    file and the commit, not a card that shows whichever value won."""
    name, _ = repo
    params = Path("params.yaml").read_text(encoding="utf-8")
    Path("params.yaml").write_text(params + "base:\n  seed: 1\n", encoding="utf-8")
    git("commit", "-q", "-am", "params.yaml with base twice")
    commit = git("rev-parse", "HEAD").strip()
    with pytest.raises(ProjectError, match=rf"params.yaml@{commit[:7]}: .*'base' appears twice"):
        render(name, None, commit, "none", None)


def test_only_versions_on_main_with_a_recorded_gate_hold_a_stage(repo, capsys):
    """Hand-made tags (no gate recorded), or a version on a commit off main, are refused
    as the holder: the highest version that qualifies holds the stage, with a warning."""
    name, commits = repo
    promote_all(name, commits[:2])
    git("tag", "-a", f"{name}@v1.5.0", "-m", "made by hand", commits[2])
    git("tag", "-a", f"{name}#{PROD}#9", "-m", "by hand", commits[2])
    assert registry.holder(name, PROD).version == "v1.1.0"
    assert "v1.5.0 is assigned prod but refused: its tag records no passing gate" in (
        capsys.readouterr().err
    )
    git("checkout", "-q", "-b", "unreviewed")
    Path("README.md").write_text("not reviewed\n", encoding="utf-8")
    git("add", "README.md")
    git("commit", "-q", "-m", "off main")
    off_main = registry.register(name, git("rev-parse", "HEAD").strip(), "minor", RECORD)
    git("checkout", "-q", "main")
    with pytest.raises(ProjectError, match=r"may not hold a stage: its commit \w+ is not on main"):
        registry.put(name, PROD, registry.allowed(name, off_main))
    assert main(["assign", off_main.version, "--no-push"]) == 1
    assert "is not on main" in capsys.readouterr().err
    assert registry.holder(name, PROD).version == "v1.1.0"


def test_a_late_assignment_never_undoes_a_newer_move(repo, capsys):
    """The promotion's production step (`assign --if-newest`) proceeds only while nothing
    moved in the registry since its version was registered."""
    name, commits = repo
    promote_all(name, commits[:2])
    registry.next_second(name)
    newest = registry.register(name, commits[2], "minor", RECORD)  # waits for approval
    assert main(["assign", newest.version, "--if-newest", "--no-push"]) == 0
    assert registry.holder(name, PROD).version == "v1.2.0"
    registry.next_second(name)
    assert main(["rollback", "--no-push"]) == 0  # production back to v1.1.0
    before = git("tag", "--list")
    assert main(["assign", newest.version, "--if-newest", "--no-push"]) == 1
    error = capsys.readouterr().err
    assert "v1.2.0 not assigned prod: the registry moved since it was promoted" in error
    assert git("tag", "--list") == before
    assert registry.holder(name, PROD).version == "v1.1.0"
    assert main(["assign", newest.version, "--no-push"]) == 0  # by hand: goes forward
    assert registry.holder(name, PROD).version == "v1.2.0"


def test_a_second_version_tag_on_a_commit_is_skipped_with_a_warning(repo, capsys):
    """GTO refuses a commit with two version tags (ManyVersions): the registry keeps the
    commit's first version and names the one it skips, so every reader still works."""
    name, commits = repo
    promote_all(name, commits[:2])
    git("tag", "-a", f"{name}@v7.0.0", "-m", RECORD, commits[1])
    assert registry.holder(name, PROD).version == "v1.1.0"
    assert [v.version for v in registry.versions(name)] == ["v1.0.0", "v1.1.0"]
    assert f"tag {name}@v7.0.0 is a second version of commit {commits[1][:7]}; skipped" in (
        capsys.readouterr().err
    )
    assert main(["rollback", "--no-push"]) == 0
    assert registry.holder(name, PROD).version == "v1.0.0"


def test_rollback_never_moves_production_forward(repo, capsys):
    """A rollback puts back a version that held production before, below the current
    one: a version staged and never approved, or a later one, is refused."""
    name, commits = repo
    promote_all(name, commits[:2])
    registry.next_second(name)
    staged = registry.register(name, commits[2], "minor", RECORD)
    registry.put(name, "staging", staged)
    before = git("tag", "--list")
    assert main(["rollback", "--to", staged.version, "--no-push"]) == 1
    error = capsys.readouterr().err
    assert f"rollback to {staged.version} refused: {staged.version} never held prod" in error
    assert git("tag", "--list") == before
    registry.next_second(name)
    assert main(["rollback", "--no-push"]) == 0  # back to v1.0.0
    assert main(["rollback", "--to", "v1.1.0", "--no-push"]) == 1
    assert "v1.1.0 is newer than v1.0.0, which holds prod" in capsys.readouterr().err
    assert registry.holder(name, PROD).version == "v1.0.0"


@pytest.fixture
def signed(repo, tmp_path_factory, monkeypatch):
    """The repository with the registry's signers on main, as generation writes them,
    and the private key where the workflows put it (REGISTRY_SIGNING_KEY_FILE here)."""
    name, commits = repo
    keys = tmp_path_factory.mktemp("keys")
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(keys / "key")], check=True
    )
    public = (keys / "key.pub").read_text().strip()
    Path(".github").mkdir(exist_ok=True)
    Path(".github/registry-signers").write_text(f'registry namespaces="git" {public}\n')
    git("add", ".github/registry-signers")
    git("commit", "-q", "-m", "The registry's signers")
    monkeypatch.setenv("REGISTRY_SIGNING_KEY_FILE", str(keys / "key"))
    return name, commits


def test_the_registry_signs_its_tags_and_reads_no_other(signed, capsys):
    """Every tag the registry makes is signed with the key main lists; a tag made by
    hand (a "gate passed" message on a commit of main no gate saw, and a stage tag for
    it) is not read at all, whatever its message."""
    name, commits = signed
    promote_all(name, commits[:2])
    for tag in git("tag", "--list").split():
        assert "BEGIN SSH SIGNATURE" in git("cat-file", "-p", tag), tag
    git("tag", "-a", f"{name}@v1.9.0", "-m", RECORD, commits[2])
    git("tag", "-a", f"{name}#{PROD}#9", "-m", "by hand", commits[2])
    assert registry.holder(name, PROD).version == "v1.1.0"
    assert [v.version for v in registry.versions(name)] == ["v1.0.0", "v1.1.0"]
    error = capsys.readouterr().err
    assert f"tag {name}@v1.9.0 is not signed by a key .github/registry-signers lists" in error
    assert f"tag {name}#{PROD}#9 is not signed" in error
    assert main(["assign", "v1.9.0", "--no-push"]) == 1  # not a version it knows
    assert "no version v1.9.0 in the registry" in capsys.readouterr().err


def test_no_tag_is_made_without_the_signing_key(signed, monkeypatch):
    """With signers on main and no key, registering or assigning stops before any tag."""
    name, commits = signed
    monkeypatch.delenv("REGISTRY_SIGNING_KEY_FILE")
    before = git("tag", "--list")
    with pytest.raises(ProjectError, match="neither REGISTRY_SIGNING_KEY nor"):
        registry.register(name, commits[0], "minor", RECORD)
    assert git("tag", "--list") == before
