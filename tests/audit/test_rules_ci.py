"""CI001–CI014: a passing and a failing repository for each rule, with exact findings."""

from __future__ import annotations

import pytest

from hepci import __version__

GOOD_CI = f"""\
workflow:
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
include:
  - component: $CI_SERVER_FQDN/hepci/hepci/python-test@{__version__}
  - project: hepci/hepci
    ref: "{__version__}"
    file: /ci-templates/image-build.yml
default:
  image: python:3.12-slim
test:
  stage: test
  script: [pytest --cov]
  artifacts:
    paths: [out/]
    expire_in: 1 week
"""


def where(result):
    return [(f.path, f.line, f.message) for f in result.findings]


def test_good_ci_passes_every_ci_rule(audit):
    report = audit({".gitlab-ci.yml": GOOD_CI})
    statuses = {r.id: r.status for r in report.results if r.family == "CI"}
    assert statuses == {
        "CI001": "pass", "CI002": "pass", "CI003": "pass", "CI004": "pass", "CI005": "pass",
        "CI006": "pass", "CI007": "pass", "CI008": "pass", "CI009": "pass", "CI010": "pass",
        "CI011": "pass", "CI012": "pass", "CI013": "pass", "CI014": "pass",
    }  # fmt: skip


def test_ci001_missing_file_and_dependents_skip(audit):
    report = audit({"README.md": "x"})
    by_id = {r.id: r for r in report.results}
    assert where(by_id["CI001"]) == [
        (".gitlab-ci.yml", None, "no CI configuration: .gitlab-ci.yml is missing")
    ]
    assert by_id["CI002"].status == "skip"
    assert by_id["CI002"].skip_reason == "requires CI001 (Has a `.gitlab-ci.yml`), which failed"
    assert by_id["CI010"].skip_reason.startswith("requires CI002")


def test_ci002_syntax_error_has_line(rule):
    result = rule("CI002", {".gitlab-ci.yml": "a: 1\nb: [\n  c: d\n"})
    assert result.status == "fail"
    (finding,) = result.findings
    assert finding.path == ".gitlab-ci.yml" and finding.line is not None and finding.line >= 2


def test_ci002_not_a_mapping(rule):
    result = rule("CI002", {".gitlab-ci.yml": "- a\n- b\n"})
    assert where(result) == [
        (".gitlab-ci.yml", 1, "the CI configuration is not a mapping of keywords and jobs")
    ]


def test_ci002_syntax_error_in_local_include(rule):
    files = {
        ".gitlab-ci.yml": "include: ci/jobs.yml\nworkflow: {rules: [{when: always}]}\n",
        "ci/jobs.yml": "job:\n  script: [a\n",
    }
    result = rule("CI002", files)
    assert [f.path for f in result.findings] == ["ci/jobs.yml"]


def test_ci003_schema_error(rule):
    result = rule("CI003", {".gitlab-ci.yml": "build:\n  script: [make]\n  colour: red\n"})
    assert where(result) == [(".gitlab-ci.yml", 3, "build: unknown key 'colour'")]


def test_ci003_uses_the_cache_on_second_run(rule, tmp_path, monkeypatch):
    from weakref import WeakKeyDictionary

    from hepci.audit import schema
    from hepci.audit.rules import _ci

    def new_process() -> None:
        monkeypatch.setattr(schema, "_SEEN", {})
        monkeypatch.setattr(_ci, "_BY_FILE", WeakKeyDictionary())  # findings per parsed file

    monkeypatch.setenv("HEPCI_CACHE_DIR", str(tmp_path))
    new_process()
    files = {".gitlab-ci.yml": "build:\n  script: [make]\n  colour: red\n"}
    first = rule("CI003", files)
    cached = list((tmp_path / "ci-schema").iterdir())
    assert len(cached) == 1
    cached[0].write_text('[[2, "planted message"]]')
    again = rule("CI003", files)  # the same process remembers: the file is not read again
    new_process()  # the next process must read the cache
    second = rule("CI003", files)
    assert where(first) == [(".gitlab-ci.yml", 3, "build: unknown key 'colour'")]
    assert where(again) == where(first)
    assert where(second) == [(".gitlab-ci.yml", 2, "planted message")]


def test_ci004_without_templates(rule):
    result = rule("CI004", {".gitlab-ci.yml": "job:\n  script: [x]\n"})
    assert where(result) == [(".gitlab-ci.yml", 1, "no include of the hepci/hepci templates")]
    assert result.severity == "info"


def test_ci004_remote_include_counts(rule):
    ci = (
        "include:\n  - remote: https://gitlab.cern.ch/hepci/hepci/-/raw/0.1.0/ci-templates/x.yml\n"
        "    integrity: sha256-abc\n"
    )
    assert rule("CI004", {".gitlab-ci.yml": ci}).status == "pass"


@pytest.mark.parametrize(
    ("include", "line", "message"),
    [
        ("  - project: hepci/hepci\n    file: /ci-templates/a.yml\n", 2,
         "/ci-templates/a.yml: no `ref`: follows the default branch"),
        ("  - project: hepci/hepci\n    ref: main\n    file: /ci-templates/a.yml\n", 3,
         "/ci-templates/a.yml: `main` looks like a branch, not a tag or full commit SHA"),
        ("  - component: $CI_SERVER_FQDN/hepci/hepci/image-build@~latest\n", 2,
         "$CI_SERVER_FQDN/hepci/hepci/image-build: `~latest` moves with every release"),
        ("  - component: $CI_SERVER_FQDN/hepci/hepci/image-build@0.1\n", 2,
         "$CI_SERVER_FQDN/hepci/hepci/image-build: partial version `0.1` moves with every release"),
    ],
)  # fmt: skip
def test_ci005_unpinned(rule, include, line, message):
    result = rule("CI005", {".gitlab-ci.yml": "include:\n" + include})
    assert where(result) == [(".gitlab-ci.yml", line, message)]
    assert result.findings[0].fix == "bump-templates"


def test_ci005_sha_is_pinned(rule):
    ci = "include:\n  - project: hepci/hepci\n    ref: " + "a" * 40 + "\n    file: /x.yml\n"
    assert rule("CI005", {".gitlab-ci.yml": ci}).status == "pass"


def test_ci005_line_is_the_ref(rule):
    ci = "include:\n  - project: hepci/hepci\n    ref: main\n    file: /x.yml\n"
    assert rule("CI005", {".gitlab-ci.yml": ci}).findings[0].line == 3


def test_ci006_behind(rule):
    from hepci.audit.config import AuditConfig

    ci = "include:\n  - component: $CI_SERVER_FQDN/hepci/hepci/image-build@0.1.0\n"
    result = rule("CI006", {".gitlab-ci.yml": ci}, config=AuditConfig(templates_version="0.3.1"))
    assert where(result) == [
        (".gitlab-ci.yml", 2, "templates 0.1.0 are 2 minor versions behind 0.3.1")
    ]
    major = rule("CI006", {".gitlab-ci.yml": ci}, config=AuditConfig(templates_version="1.0.0"))
    assert major.findings[0].message == "templates 0.1.0 are 1 major version behind 1.0.0"


def test_ci006_skips_when_only_shas(rule):
    ci = "include:\n  - project: hepci/hepci\n    ref: " + "b" * 40 + "\n    file: /x.yml\n"
    result = rule("CI006", {".gitlab-ci.yml": ci})
    assert result.status == "skip"
    assert result.skip_reason == "no hepci template include names a release version"


DEPRECATED = """\
types: [build]
image: python:3.12
before_script: [echo hi]
include:
  - project: other/proj
    file: /a.yml
    with: {x: 1}
job:
  type: build
  script: [make]
  only: [main]
  except: [tags]
  artifacts:
    public: false
    reports:
      cobertura: cov.xml
"""


def test_ci007_each_deprecation_with_its_codemod(rule):
    result = rule("CI007", {".gitlab-ci.yml": DEPRECATED})
    got = [(f.line, f.fix) for f in result.findings]
    assert got == [
        (1, "type-to-stage"),
        (2, "global-to-default"),
        (3, "global-to-default"),
        (9, "type-to-stage"),
        (11, "only-except-to-rules"),
        (12, "only-except-to-rules"),
        (16, "cobertura-report"),
        (14, "artifacts-public"),
        (5, "include-with-inputs"),
    ]


def test_ci007_clean(rule):
    ci = "default:\n  image: python:3.12\njob:\n  stage: test\n  script: [x]\n  rules: [{when: always}]\n"
    assert rule("CI007", {".gitlab-ci.yml": ci}).status == "pass"


def test_ci008_deprecated_variables(rule):
    ci = (
        "job:\n  script:\n    - echo $CI_BUILD_REF_NAME\n    # $CI_BUILD_ID in a comment\n"
        "    - vault login $CI_JOB_JWT_V2\n"
    )
    result = rule("CI008", {".gitlab-ci.yml": ci})
    assert [(f.line, f.message, f.fix) for f in result.findings] == [
        (3, "`CI_BUILD_REF_NAME` is deprecated since GitLab 9.0", "ci-build-variables"),
        (5, "`CI_JOB_JWT_V2` was removed in GitLab 17.0: use `id_tokens:`", None),
    ]


def test_ci009_remote_without_integrity(rule):
    ci = "include:\n  - remote: https://example.org/ci.yml\n  - remote: https://example.org/b.yml\n    integrity: sha256-x\n"
    result = rule("CI009", {".gitlab-ci.yml": ci})
    assert where(result) == [
        (".gitlab-ci.yml", 2, "remote include https://example.org/ci.yml has no `integrity`")
    ]


def test_ci010_unpinned_images(rule):
    ci = (
        "default:\n  image: rootproject/root\njob:\n  image: python:latest\n  services:\n"
        "    - name: postgres:16\n    - redis\n  script: [x]\nok:\n  image: python@sha256:abc\n"
        "  script: [x]\nvar:\n  image: $IMAGE\n  script: [x]\n"
    )
    result = rule("CI010", {".gitlab-ci.yml": ci})
    assert where(result) == [
        (".gitlab-ci.yml", 2, "image `rootproject/root` has no tag (means `latest`)"),
        (".gitlab-ci.yml", 4, "job `job`: image `python:latest` uses `:latest`"),
        (".gitlab-ci.yml", 5, "job `job`: image `redis` has no tag (means `latest`)"),
    ]


def test_ci010_registry_port_is_not_a_tag(rule):
    ci = "job:\n  image: registry.cern.ch:5000/group/img\n  script: [x]\n"
    result = rule("CI010", {".gitlab-ci.yml": ci})
    assert [f.message for f in result.findings] == [
        "job `job`: image `registry.cern.ch:5000/group/img` has no tag (means `latest`)"
    ]


def test_ci011_expire_in_through_extends(rule):
    ci = (
        ".base:\n  artifacts:\n    paths: [a]\n    expire_in: 1 day\n"
        "good:\n  extends: .base\n  script: [x]\n"
        "bad:\n  script: [x]\n  artifacts:\n    paths: [b]\n"
    )
    result = rule("CI011", {".gitlab-ci.yml": ci})
    assert where(result) == [(".gitlab-ci.yml", 10, "job `bad`: artifacts without `expire_in`")]


def test_ci012_workflow_rules(rule):
    assert where(rule("CI012", {".gitlab-ci.yml": "job:\n  script: [x]\n"})) == [
        (".gitlab-ci.yml", 1, "no `workflow:rules` (duplicate pipelines)")
    ]
    ok = "workflow:\n  rules: [{if: $CI_COMMIT_TAG, when: never}, {when: always}]\njob: {script: [x]}\n"
    assert rule("CI012", {".gitlab-ci.yml": ok}).status == "pass"


@pytest.mark.parametrize(
    ("job", "message"),
    [
        ("  tags: [docker-image-build]\n  script: [ignore]\n",
         "legacy `docker-image-build` runner tag"),
        ("  image: {name: gcr.io/kaniko-project/executor:debug, entrypoint: ['']}\n  script: [x]\n",
         "kaniko image `gcr.io/kaniko-project/executor:debug` (kaniko is unmaintained)"),
        ("  image: alpine:3\n  script:\n    - /kaniko/executor --context .\n",
         "hand-written `/kaniko/executor` build (kaniko is unmaintained)"),
        ("  extends: .build_kaniko\n",
         "CERN kaniko template `.build_kaniko` (kaniko is unmaintained)"),
        ("  image: docker:24\n  services: [docker:24-dind]\n  script: [docker build .]\n",
         "privileged docker-in-docker (`docker:24-dind`)"),
    ],
)  # fmt: skip
def test_ci013_legacy_patterns(rule, job, message):
    result = rule("CI013", {".gitlab-ci.yml": "stages: [build]\nbuild_image:\n" + job})
    assert where(result) == [(".gitlab-ci.yml", 2, f"job `build_image`: {message}")]
    assert result.findings[0].fix == "legacy-image-build"


def test_ci013_buildah_is_fine(rule):
    ci = "build:\n  image: quay.io/buildah/stable:v1.37\n  script: [buildah build -t x .]\n"
    assert rule("CI013", {".gitlab-ci.yml": ci}).status == "pass"


def test_ci014_cvmfs_tag_inherited(rule):
    ci = ".cms:\n  tags:\n    - cvmfs\nrun:\n  extends: .cms\n  script: [x]\nnew:\n  tags: [k8s-cvmfs]\n  script: [x]\n"
    result = rule("CI014", {".gitlab-ci.yml": ci})
    assert where(result) == [(".gitlab-ci.yml", 2, "job `run`: tag `cvmfs` is now `k8s-cvmfs`")]
    assert result.findings[0].fix == "cvmfs-tag"


def test_rules_read_local_includes(rule):
    files = {
        ".gitlab-ci.yml": "include:\n  - local: ci/build.yml\n",
        "ci/build.yml": "build:\n  tags: [cvmfs]\n  script: [x]\n",
    }
    assert where(rule("CI014", files)) == [
        ("ci/build.yml", 2, "job `build`: tag `cvmfs` is now `k8s-cvmfs`")
    ]


def test_defaults_and_deprecated_globals_reach_jobs(rule):
    dind = (
        "image: docker:24.0\nservices:\n  - docker:24.0-dind\nbuild:\n  script: [docker build .]\n"
    )
    result = rule("CI013", {".gitlab-ci.yml": dind})
    assert where(result) == [
        (".gitlab-ci.yml", 4, "job `build`: privileged docker-in-docker (`docker:24.0-dind`)")
    ]
    tags = (
        "default:\n  tags: [cvmfs]\nrun:\n  script: [x]\n"
        "opt-out:\n  inherit: {default: false}\n  script: [x]\n"
    )
    assert [f.message for f in rule("CI014", {".gitlab-ci.yml": tags}).findings] == [
        "job `run`: tag `cvmfs` is now `k8s-cvmfs`"
    ]
