"""template.yaml passes checkov's security checks: each one passes, or is skipped in the template with its reason.

checkov runs from .venv-checkov (its pins clash with .venv's), which `make test` installs. A skip is
a resource's `Metadata: checkov: skip: [{id: CKV_..., comment: <reason>}]`; see `make scan`.
"""

import json
import os
import subprocess

import pytest
import yaml
from tests.support import ROOT

TEMPLATE = ROOT / "template.yaml"
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
# What checkov reports for a skip that gives no reason.
NO_REASON = "No comment provided"


class _CfnLoader(yaml.SafeLoader):
    """YAML that accepts CloudFormation's short-form tags (!Ref, !GetAtt, ...): only Metadata is read here."""


_CfnLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


@pytest.fixture(scope="module")
def scan() -> dict:
    """checkov's JSON report on template.yaml, run once for this module."""
    if not CHECKOV.exists():
        pytest.fail(f"{CHECKOV.relative_to(ROOT)} is missing: run `make test`, which installs .venv-checkov "
                    "(requirements-checkov.txt) and then runs the tests.")
    # Same as `make scan`: no calls to Prisma Cloud (--skip-download) nor to PyPI (update check).
    result = subprocess.run(
        [str(CHECKOV), "-f", str(TEMPLATE), "--framework", "cloudformation", "--skip-download", "-o", "json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"},
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"checkov exited {result.returncode} without a JSON report:\n{result.stdout}\n{result.stderr}")
    reports = report if isinstance(report, list) else [report]  # a list when several frameworks ran
    assert [r.get("check_type") for r in reports] == ["cloudformation"], result.stdout[:2000] + result.stderr
    return reports[0]


def test_template_passes_every_checkov_check_or_skips_it_with_a_reason(scan):
    failed = scan["results"]["failed_checks"]
    assert not failed, f"{len(failed)} checkov check(s) failed: fix each, or skip it in the resource's " \
        "Metadata (checkov: skip: - id, comment: the reason):\n" + "\n".join(
            f"  {check['check_id']} {check['resource']} (line {check['file_line_range'][0]}): {check['check_name']}"
            for check in failed)


def test_the_scan_actually_checked_the_template(scan):
    summary = scan["summary"]
    assert summary["parsing_errors"] == 0, summary
    assert summary["resource_count"] > 0, summary
    assert summary["passed"] > 0, summary
    checked = {check["resource"].split(".", 1)[0] for check in scan["results"]["passed_checks"]}
    # SAM's own resources are checked too, not only plain CloudFormation ones.
    assert "AWS::Serverless::Function" in checked, checked


def test_every_skip_in_the_template_gives_its_reason():
    template = yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=_CfnLoader)
    missing = []
    for logical_id, resource in template["Resources"].items():
        metadata = resource.get("Metadata") or {}
        for tool in ("checkov", "bridgecrew"):
            for skip in (metadata.get(tool) or {}).get("skip") or []:
                comment = skip.get("comment")
                if not (isinstance(comment, str) and comment.strip() and comment.strip() != NO_REASON):
                    missing.append(f"  {logical_id}: {skip.get('id')}")
    assert not missing, "checkov skip(s) without a reason (give each a comment):\n" + "\n".join(missing)


def test_every_skip_checkov_applied_gives_its_reason(scan):
    """Also covers skips written as inline comments (`# checkov:skip=CKV_...:reason`)."""
    skipped = scan["results"]["skipped_checks"]
    missing = [f"  {check['check_id']} {check['resource']}" for check in skipped
               if (check["check_result"].get("suppress_comment") or "").strip() in ("", NO_REASON)]
    assert not missing, "checkov skip(s) without a reason:\n" + "\n".join(missing)


def test_every_skip_in_the_template_skips_a_check_that_ran(scan):
    """A skip whose check no longer applies (fixed, renamed, wrong id) is removed, not left to hide a later one."""
    template = yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=_CfnLoader)
    applied = {(check["resource"].split(".", 1)[1], check["check_id"]) for check in scan["results"]["skipped_checks"]}
    declared = {(logical_id, skip.get("id"))
                for logical_id, resource in template["Resources"].items()
                for skip in ((resource.get("Metadata") or {}).get("checkov") or {}).get("skip") or []}
    unused = sorted(declared - applied)
    assert not unused, "checkov skip(s) in template.yaml that skip no check:\n" + "\n".join(
        f"  {logical_id}: {check_id}" for logical_id, check_id in unused)
