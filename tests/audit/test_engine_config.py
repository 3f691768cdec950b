"""Engine behaviour (requires, rule crashes) and configuration (files, CLI, precedence)."""

from __future__ import annotations

import pytest

from hepci.audit.config import AuditConfig, load_config_file, parse_config_text, repo_config
from hepci.audit.engine import audit_repo
from hepci.audit.rule import all_rules
from hepci.errors import ConfigError

IDS = [
    *(f"CI{n:03}" for n in range(1, 15)),
    *(f"IMG{n:03}" for n in range(1, 6)),
    *(f"PIN{n:03}" for n in range(1, 6)),
    *(f"WF{n:03}" for n in range(1, 5)),
    *(f"TST{n:03}" for n in range(1, 4)),
    *(f"REPO{n:03}" for n in range(1, 7)),
    *(f"PRES{n:03}" for n in range(1, 4)),
    *(f"GL{n:03}" for n in range(1, 5)),
]


def test_every_rule_id_exists_with_docs():
    rules = all_rules()
    assert list(rules) == IDS
    for rule_id, cls in rules.items():
        assert cls.title() and cls.rationale(), rule_id
        assert cls.url().endswith(f"#{rule_id.lower()}")
        assert cls.severity in ("error", "warning", "info")
        assert set(cls.requires) <= set(IDS)


def test_fix_ids_match_the_upgrade_codemods():
    fixes = {rule_id: cls.fix for rule_id, cls in all_rules().items() if cls.fix}
    assert fixes == {
        "CI005": ("bump-templates",),
        "CI006": ("bump-templates",),
        "CI007": (
            "type-to-stage",
            "global-to-default",
            "only-except-to-rules",
            "cobertura-report",
            "include-with-inputs",
            "artifacts-public",
        ),
        "CI008": ("ci-build-variables",),
        "CI013": ("legacy-image-build",),
        "CI014": ("cvmfs-tag",),
        "PIN004": ("pin-digests",),
        "PIN005": ("pin-digests",),
    }


def test_a_crashing_rule_is_an_error_result_not_a_crash(audit, monkeypatch):
    from hepci.audit.rules import ci_more

    def boom(self, ctx):
        raise RuntimeError("kaput")

    monkeypatch.setattr(ci_more.CI010, "check", boom)
    report = audit({".gitlab-ci.yml": "job: {script: [x]}\n"})
    result = next(r for r in report.results if r.id == "CI010")
    assert result.status == "error"
    assert result.skip_reason == "internal error in CI010: RuntimeError: kaput"
    from hepci.audit.model import AuditRun

    assert AuditRun.of([report]).exit_code() == 4


def test_deselected_prerequisite_still_gates(audit):
    report = audit({"README.md": "x"}, AuditConfig(select=("IMG002",)))
    assert [(r.id, r.status, r.skip_reason) for r in report.results] == [
        ("IMG002", "skip", "requires IMG001 (Has a Dockerfile), which failed")
    ]


def test_select_ignore_prefixes_and_reasons(audit):
    config = AuditConfig(
        select=("REPO", "IMG"),
        ignore={"REPO00": None, "IMG005": "we run as root on purpose"},
    )
    report = audit({"Dockerfile": "FROM python:3.12\n"}, config)
    assert [(r.id, r.status) for r in report.results] == [
        ("IMG001", "pass"),
        ("IMG002", "pass"),
        ("IMG003", "pass"),
        ("IMG004", "fail"),
        ("IMG005", "skip"),
    ]
    assert report.results[-1].skip_reason == "ignored: we run as root on purpose"


def test_only_selected_rules_and_their_prerequisites_run(audit, monkeypatch):
    """Deselected and ignored rules cost nothing (``--select CI`` runs no PRES rule), yet a
    selected rule still sees its prerequisites' real outcome, even an ignored one's."""
    ran: list[str] = []
    for rule_id, cls in all_rules().items():
        real = cls.check

        def counted(self, ctx, real=real, rule_id=rule_id):
            ran.append(rule_id)
            return real(self, ctx)

        monkeypatch.setattr(cls, "check", counted)
    files = {"Dockerfile": "FROM python:3.12\n", "CITATION.cff": "cff-version: 1.2.0\n"}
    config = AuditConfig(select=("IMG002", "WF"), ignore={"IMG001": "x", "WF002": "why"})
    report = audit(files, config)
    assert sorted(ran) == ["IMG001", "IMG002", "WF001"]  # WF003, WF004 require WF001: failed
    assert [(r.id, r.status) for r in report.results] == [
        ("IMG002", "pass"),  # IMG001 ran for it (it passed), though ignored and not reported
        ("WF001", "fail"), ("WF002", "skip"), ("WF003", "skip"), ("WF004", "skip"),
    ]  # fmt: skip
    assert report.results[2].skip_reason == "ignored: why"
    assert report.preservation is None  # PRES001 did not run: no record either
    ran.clear()
    assert audit(files).preservation is not None and {"PRES001", "CI001", "GL004"} <= set(ran)


def test_cli_select_overrides_file_select(audit):
    config = AuditConfig(select=("REPO",), cli_select=("WF001",), cli_ignore=())
    assert [r.id for r in audit({}, config).results] == ["WF001"]


def test_severity_override_longest_prefix(audit):
    config = AuditConfig(severity={"REPO": "info", "REPO002": "error"})
    report = audit({"README.md": "x"}, config)
    sev = {r.id: r.severity for r in report.results if r.family == "REPO"}
    assert sev["REPO002"] == "error" and sev["REPO003"] == "info" and sev["REPO001"] == "info"


def test_repo_pyproject_and_hepci_toml(audit):
    pyproject = '[tool.hepci]\nignore = {"REPO003" = "no citation for internal notes"}\n[tool.hepci.lint]\nx = 1\n'
    hepci_toml = '[audit]\nseverity = {"REPO002" = "info"}\n'
    report = audit({"pyproject.toml": pyproject, ".hepci.toml": hepci_toml})
    by_id = {r.id: r for r in report.results}
    assert by_id["REPO003"].skip_reason == "ignored: no citation for internal notes"
    assert by_id["REPO002"].severity == "info"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[tool.hepci]\nselect = "CI"\nfail-on = "often"\n', "pyproject.toml:3: fail-on: expected one of error, warning, info, never, got 'often'"),
        ("[tool.hepci]\nignore = [1]\n", "pyproject.toml:2: ignore: expected a list of rule ID prefixes or a table of reasons"),
        ('[tool.hepci]\n\n\nseverity = {CI001 = "fatal"}\n', "pyproject.toml:4: severity: expected {\"RULE\" = \"error\" | \"warning\" | \"info\"}"),
        ("[tool.hepci\n", "pyproject.toml:1: invalid TOML: "),
        ("[tool.hepci.audit]\nselct = []\n", "pyproject.toml:2: audit: unknown key 'selct'"),
        ("[tool.hepci]\ninactive-months = 0\n", "pyproject.toml:2: inactive-months: expected a positive integer"),
        ('[tool.hepci]\nselect = ["HL1"]\n', "pyproject.toml:2: select: no audit rule matches 'HL1'"),
        ('[tool.hepci]\nignore = {"IMG05" = "x"}\n', "pyproject.toml:2: ignore: no audit rule matches 'IMG05'"),
    ],
)  # fmt: skip
def test_invalid_config_names_file_and_line(text, message):
    with pytest.raises(ConfigError) as info:
        parse_config_text(text, "pyproject.toml", pyproject=True)
    assert str(info.value).startswith(message)
    assert info.value.exit_code == 2


def test_invalid_repo_config_raises_from_audit_repo():
    from hepci.core.repo import MemoryRepo

    repo = MemoryRepo("r", {".hepci.toml": b"select = 3\n"})
    with pytest.raises(ConfigError, match=r"^\.hepci\.toml:1: select"):
        audit_repo(repo)


def test_group_config_file_then_repo_config(tmp_path):
    group = tmp_path / "group.toml"
    group.write_text('ignore = ["GL"]\ninactive-months = 6\nfail-on = "error"\n')
    config = load_config_file(str(group))
    assert config.inactive_months == 6 and config.fail_on == "error"
    repo = {"pyproject.toml": b"[tool.hepci]\ninactive-months = 24\n"}
    merged = repo_config(repo.get, config)
    assert merged.inactive_months == 24 and merged.ignore_reason("GL001") == (True, None)


def test_missing_group_config_file(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config_file(str(tmp_path / "nope.toml"))
