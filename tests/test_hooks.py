"""The hooks: rendered with cookiecutter's own Jinja environment and imported, then run
whole through cookiecutter for every answer they refuse."""

import json
import subprocess
import sys
import tempfile
import types
from pathlib import Path

import pytest
from cookiecutter.environment import StrictEnvironment
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter
from cookiecutter.prompt import prompt_for_config

from harness.bake import QUESTIONS, TEMPLATE, bake

from .conftest import git


def defaults(**changes):
    """The default answers as cookiecutter renders them with --no-input, then ``changes``."""
    answers = prompt_for_config({"cookiecutter": dict(QUESTIONS)}, no_input=True)
    return {**answers, **changes}


def load_hook(name, answers):
    """Render hooks/<name>.py with these answers and import it as a module."""
    source = (TEMPLATE / "hooks" / f"{name}.py").read_text(encoding="utf-8")
    env = StrictEnvironment(context={"cookiecutter": answers}, keep_trailing_newline=True)
    code = env.from_string(source).render(cookiecutter=answers)
    module = types.ModuleType(name)
    exec(compile(code, f"{name}.py", "exec"), module.__dict__)
    return module


def test_defaults_pass_validation():
    """Every default answer is valid, so --no-input always bakes."""
    answers = defaults()
    assert load_hook("pre_gen_project", answers).problems(answers) == []


INVALID = [
    ("project_slug", "My Project", "lowercase letters, digits and single hyphens"),
    ("package_name", "1model", "valid Python identifier"),
    ("package_name", "class", "not a keyword"),
    ("package_name", "pandas", "does not shadow a dependency: 'pandas' is a module"),
    ("package_name", "fastapi", "does not shadow a dependency: 'fastapi' is a module"),
    ("package_name", "uvicorn", "`import uvicorn` would load this package instead"),
    ("package_name", "dvclive", "does not shadow a dependency: 'dvclive' is a module"),
    ("package_name", "json", "does not shadow the standard library: 'json' is one of its"),
    ("model_name", "-model", "GTO's naming rule"),
    ("model_name", "my model", "GTO's naming rule"),
    ("model_name", "m" * 300, "at most 200 characters and no '//': git keeps each registry"),
    ("model_name", "team//churn", "no '//'"),
    ("author_email", "not-an-email", "an e-mail address"),
    ("python_version", "3.9", "one of 3.10, 3.11, 3.12, 3.13"),
    ("problem_type", "clustering", "one of classification, regression"),
    ("dvc_remote", "gdrive", "one of local, s3, gcs, azure, ssh"),
    ("license", "GPL", "one of MIT"),
    ("training_runner", "ubuntu latest", "one runner label"),
    ("project_name", "Two\nlines", "non-empty, single-line"),
    ("project_name", "", "non-empty, single-line"),
    ("project_name", "   ", "non-empty, single-line"),
    ("project_name", "!?", "letters or digits: the folder name (project_slug) is made of them"),
    ("description", "two\nlines", "single line"),
    ("model_owner", "", "non-empty"),
    ("code_owners", "alice", "GitHub users or teams separated by single spaces"),
    ("code_owners", "@alice\n/ @mallory", "GitHub users or teams"),
]


@pytest.mark.parametrize(
    ("answer", "value", "expected"), INVALID, ids=[f"{a}={v!r}"[:40] for a, v, _ in INVALID]
)
def test_invalid_answer_is_refused_and_nothing_is_written(
    tmp_path, capfd, answer, value, expected
):
    """cookiecutter stops with a message naming the answer; no folder is left behind.

    Choice answers go through a replay file: cookiecutter checks choices given on the
    command line itself, but not those replayed from a recorded .cookiecutter.json.
    """
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(FailedHookException):
        if isinstance(QUESTIONS[answer], list):
            replay = tmp_path / "replay.json"
            replay.write_text(json.dumps({"cookiecutter": defaults(**{answer: value})}))
            cookiecutter(str(TEMPLATE), replay=str(replay), output_dir=str(out))
        else:
            bake(out, **{answer: value})
    error = capfd.readouterr().err
    assert f"answer '{answer}' = {value!r}: expected" in error
    assert expected in error
    assert list(out.iterdir()) == []


def test_remote_url_must_match_the_remote(tmp_path, capfd):
    """An s3 remote with a URL of another scheme is refused, naming both answers."""
    with pytest.raises(FailedHookException):
        bake(tmp_path, dvc_remote="s3", dvc_remote_url="gs://bucket/path")
    assert "dvc_remote_url" in capfd.readouterr().err
    assert list(tmp_path.iterdir()) == []


CONTROL = "expected no control character (a line break would end .dvc/config's line)"
S3_RULE = "of 3 to 63 lowercase letters, digits, '.' and '-', starting and ending with"
GCS_RULE = "of 3 to 63 lowercase letters, digits, '-', '_' and '.' (up to 222 with dots"
AZURE_RULE = "of 3 to 63 lowercase letters, digits and single '-', starting and ending"
BAD_URLS = [
    ("s3", "s3://models/churn\n['remote \"x\"']", CONTROL),
    ("gcs", "gs://models/churn\v", CONTROL),
    ("azure", "azure://models/\tchurn", CONTROL),
    ("ssh", "ssh://host/srv/dvc\nurl = /tmp", CONTROL),
    ("local", "../storage\x1b[2J", CONTROL),
    ("s3", "s3://my models/churn", f"expected a bucket name ('my models') {S3_RULE}"),
    ("s3", "s3://Models_1/churn", f"expected a bucket name ('Models_1') {S3_RULE}"),
    ("s3", "s3://ab/churn", f"expected a bucket name ('ab') {S3_RULE}"),
    ("s3", "s3://a..b/churn", S3_RULE),
    ("s3", "s3://192.168.5.4/churn", S3_RULE),
    ("s3", f"s3://{'b' * 64}/churn", S3_RULE),
    ("gcs", "gs://my models/churn", f"expected a bucket name ('my models') {GCS_RULE}"),
    ("gcs", "gs://google-models/churn", GCS_RULE),
    ("gcs", "gs://models-/churn", GCS_RULE),
    ("azure", "azure://my models/churn", f"expected a bucket name ('my models') {AZURE_RULE}"),
    ("azure", "azure://my--models/churn", AZURE_RULE),
    ("azure", "azure://my_models/churn", AZURE_RULE),
]


@pytest.mark.parametrize(
    ("remote", "url", "expected"), BAD_URLS, ids=[f"{r}={u!r}"[:40] for r, u, _ in BAD_URLS]
)
def test_a_remote_url_dvc_or_the_provider_would_refuse_is_refused(
    tmp_path, capfd, remote, url, expected
):
    """A control character (written into .dvc/config, a line break would start a line of
    its own) or a bucket name the provider's rules refuse (a space, capitals, too short
    or long) stops generation, naming dvc_remote_url; nothing is written."""
    with pytest.raises(FailedHookException):
        bake(tmp_path, dvc_remote=remote, dvc_remote_url=url)
    error = capfd.readouterr().err
    assert f"answer 'dvc_remote_url' = {url!r}: expected" in error
    assert expected in error
    assert list(tmp_path.iterdir()) == []


def test_bucket_names_the_providers_allow_pass():
    """Names that S3, Google Cloud Storage and Azure accept pass, dots and underscores
    where the provider allows them."""
    for remote, url in [
        ("s3", "s3://models/churn"), ("s3", "s3://my.models-1/a b/c"),
        ("gcs", "gs://my_models.example.com/churn"), ("gcs", f"gs://{'g' * 63}"),
        ("azure", "azure://models-1/churn"), ("azure", "azure://abc"),
    ]:  # fmt: skip
        answers = defaults(dvc_remote=remote, dvc_remote_url=url)
        assert load_hook("pre_gen_project", answers).problems(answers) == [], url


def test_no_package_name_shadows_a_module_of_the_projects_dependencies(project_env):
    """The hook refuses every top-level module that the projects' environment (uv.lock,
    every extra) installs, and no name it does not install."""
    listed = subprocess.run(
        [project_env / "bin" / "python", "-c",
         "import importlib.metadata; print(*importlib.metadata.packages_distributions())"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    hook = load_hook("pre_gen_project", defaults())
    installed = {
        name for name in listed
        if hook.PACKAGE.match(name) and name not in sys.stdlib_module_names
    }  # fmt: skip
    assert hook.TAKEN - {"tests"} == installed


def test_all_problems_are_reported_at_once():
    """Several bad answers give one message each, in a single run."""
    answers = defaults(author_email="x", python_version="2.7")
    found = load_hook("pre_gen_project", answers).problems(answers)
    assert [message.split("'")[1] for message in found] == ["author_email", "python_version"]


def test_code_injection_in_answers_is_inert(tmp_path):
    """Answers are read as JSON data: a payload in free text is never executed."""
    payload = 'x"""); import pathlib; pathlib.Path("pwned").touch(); ("""'
    project = bake(
        tmp_path,
        project_name="Payload",
        description=payload,
        author_name=payload,
        model_owner=payload,
    )
    assert not list(tmp_path.rglob("pwned"))
    recorded = json.loads((project / ".cookiecutter.json").read_text(encoding="utf-8"))
    assert recorded["cookiecutter"]["description"] == payload


# Answers as a recorded .cruft.json can hold them, and what cookiecutter renders them to:
# Jinja all the same, which the next rendering (the next `cruft update`) would run.
SURVIVING_JINJA = [
    ("description", "{{ '{{' }} cycler.__init__ }}", "{{ cycler.__init__ }}"),
    ("author_name", "{% raw %}{% if 1 %}x{% endif %}{% endraw %}", "{% if 1 %}x{% endif %}"),
    ("model_owner", "Ops {{ '{#' }} team #}", "Ops {# team #}"),
]


@pytest.mark.parametrize(
    ("answer", "given", "rendered"), SURVIVING_JINJA, ids=[a for a, _, _ in SURVIVING_JINJA]
)
def test_an_answer_that_renders_to_jinja_is_refused(tmp_path, capfd, answer, given, rendered):
    """Cookiecutter renders the answers it is given (cruft passes .cruft.json's), so the
    hook cannot stop that code; it refuses what still holds Jinja afterwards, naming the
    answer, and nothing is written."""
    with pytest.raises(FailedHookException):
        bake(tmp_path, **{answer: given})
    error = capfd.readouterr().err
    assert f"answer '{answer}' = {rendered!r}: expected no {{{{, {{%, {{#: " in error
    assert "cookiecutter renders recorded answers as Jinja templates" in error
    assert list(tmp_path.iterdir()) == []


def test_a_replayed_answer_holding_jinja_is_refused(tmp_path, capfd):
    """A replay file's answers arrive unrendered: one that holds Jinja is refused too."""
    replay = tmp_path / "replay.json"
    answers = defaults(description="{{ cookiecutter.project_name }}")
    replay.write_text(json.dumps({"cookiecutter": answers}), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(FailedHookException):
        cookiecutter(str(TEMPLATE), replay=str(replay), output_dir=str(out))
    error = capfd.readouterr().err
    assert "answer 'description' = '{{ cookiecutter.project_name }}': expected no" in error
    assert list(out.iterdir()) == []


def test_jinja_is_looked_for_in_every_answer_but_cookiecutters_own():
    """Any answer a recorded file holds, lists and dicts included, is checked; the paths
    cookiecutter records itself (``_template``, ``_output_dir``...) are never rendered."""
    answers = defaults(notes={"owners": ["{# x #}"]}, _output_dir="/tmp/{{odd}}")
    found = load_hook("pre_gen_project", answers).problems(answers)
    assert [message.split("'")[1] for message in found] == ["notes"]


def test_post_gen_removes_the_license_when_proprietary(tmp_path):
    """Only the files of unchosen options are removed."""
    (tmp_path / "LICENSE").write_text("x")
    (tmp_path / "README.md").write_text("x")
    hook = load_hook("post_gen_project", defaults(license="Proprietary"))
    hook.remove_unchosen_files(hook.ANSWERS, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md"]


def test_post_gen_falls_back_to_the_author_identity(tmp_path, monkeypatch):
    """With no git identity configured, the first commit uses the author's answers,
    and the user's git configuration is not changed."""
    empty = tmp_path / "empty-gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    project = bake(tmp_path / "out", author_name="Ada Lovelace", author_email="ada@example.org")
    assert git(project, "log", "-1", "--format=%an <%ae>") == "Ada Lovelace <ada@example.org>"
    assert empty.read_text() == ""
    assert git(project, "config", "--local", "--list").count("user.") == 0


def test_post_gen_makes_the_registrys_signing_key_once(tmp_path, capfd):
    """Generation makes the registry's key pair: the public key committed in
    .github/registry-signers (OpenSSH's allowed-signers format), the private one
    git-ignored beside it, with the commands that store it; generating again over the
    project keeps both."""
    project = bake(tmp_path)
    said = capfd.readouterr().out
    signers = (project / ".github" / "registry-signers").read_text(encoding="utf-8")
    assert signers.startswith('registry namespaces="git" ssh-ed25519 ')
    key = (project / ".registry-signing-key").read_text(encoding="utf-8")
    assert key.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert git(project, "ls-files", ".github/registry-signers") == ".github/registry-signers"
    assert git(project, "check-ignore", ".registry-signing-key") == ".registry-signing-key"
    assert "gh secret set REGISTRY_SIGNING_KEY --env writer < .registry-signing-key" in said
    public = subprocess.run(
        ["ssh-keygen", "-y", "-f", str(project / ".registry-signing-key")],
        capture_output=True, text=True, check=True,
    ).stdout.split()[:2]  # fmt: skip
    assert signers.split()[2:4] == public
    cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(tmp_path), overwrite_if_exists=True)
    assert (project / ".github" / "registry-signers").read_text(encoding="utf-8") == signers
    assert (project / ".registry-signing-key").read_text(encoding="utf-8") == key


def test_post_gen_keeps_a_configured_identity(tmp_path):
    """A configured git identity is used as it is."""
    project = bake(tmp_path, author_name="Someone Else")
    assert git(project, "log", "-1", "--format=%an") == "Template Tests"


def test_post_gen_is_idempotent(tmp_path, capfd):
    """Running generation again over the project (`cookiecutter -f`) makes no second
    repository or commit, and says it committed nothing; it writes the template's files
    over the user's, as both READMEs warn."""
    project = bake(tmp_path)
    head = git(project, "rev-parse", "HEAD")
    (project / "params.yaml").write_text("mine: true\n", encoding="utf-8")
    capfd.readouterr()
    cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(tmp_path), overwrite_if_exists=True)
    assert git(project, "rev-parse", "HEAD") == head
    assert git(project, "rev-list", "--count", "HEAD") == "1"
    assert git(project, "status", "--porcelain") == ""  # params.yaml: the template's again
    said = capfd.readouterr().out
    assert "committed nothing" in said
    assert "first commit made" not in said


def test_post_gen_under_cruft_says_to_commit_its_file(capsys):
    """cruft (whose answers carry `_commit`) writes .cruft.json after the hook, so its
    message starts with the command that commits it; cookiecutter's does not."""
    hook = load_hook("post_gen_project", defaults())
    hook.print_next_steps(defaults())
    assert ".cruft.json" not in capsys.readouterr().out
    hook.print_next_steps(defaults(_commit="0" * 40))
    steps = capsys.readouterr().out.split("Next:\n")[1].splitlines()
    assert steps[1].startswith("  git add .cruft.json && git commit -m ")


def test_post_gen_knows_cruft_comparison_copies(tmp_path):
    """The copies `cruft update` and `cruft diff` generate (cruft's answers, in a fresh
    folder of Python's tempfile) are recognised, and announce nothing; a project that
    cruft or cookiecutter creates anywhere else is not one."""
    hook = load_hook("post_gen_project", defaults())
    cruft = defaults(_commit="0" * 40)
    with tempfile.TemporaryDirectory() as fresh:
        copy = Path(fresh) / "churn-model"
        copy.mkdir()
        assert hook.is_cruft_comparison(cruft, copy)
        assert not hook.is_cruft_comparison(defaults(), copy)
    (tmp_path / "churn-model").mkdir()
    assert not hook.is_cruft_comparison(cruft, tmp_path / "churn-model")


def test_post_gen_keeps_files_when_git_cannot_commit(tmp_path, monkeypatch, capfd):
    """A commit that fails (here: a mandatory signing key that does not exist) leaves the
    generated files in place with a warning, instead of deleting the project."""
    config = tmp_path / "gitconfig"
    config.write_text(
        "[user]\n\tname = T\n\temail = t@example.com\n\tsigningkey = none\n"
        "[commit]\n\tgpgsign = true\n[gpg]\n\tprogram = false\n"
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    project = bake(tmp_path / "out")
    assert (project / "dvc.yaml").is_file()
    assert "the first commit could not be made" in capfd.readouterr().err
    status = subprocess.run(
        ["git", "rev-parse", "--verify", "HEAD"], cwd=project, capture_output=True, check=False
    )
    assert status.returncode != 0


def test_hook_choices_match_the_questions():
    """The hook checks choice answers against the same options cookiecutter.json offers."""
    hook = load_hook("pre_gen_project", defaults())
    for question, allowed in hook.CHOICES.items():
        assert sorted(allowed) == sorted(QUESTIONS[question]), question
