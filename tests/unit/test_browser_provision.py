"""`make test`'s browser provisioning (tests/browser/provision.py): which programs are missing, what is
done about it, and the install itself against a fake apt-get on a fake PATH (the real browser stays)."""

import subprocess
import sys
from types import SimpleNamespace

import pytest
from tests.browser import provision
from tests.support import ROOT

BOTH = [provision.CHROMIUM, provision.CHROMEDRIVER]


@pytest.mark.parametrize("root, apt_get, ci, action", [
    (True, True, False, "install"),
    (True, True, True, "install"),
    (False, True, True, "fail"),
    (True, False, True, "fail"),
    (False, False, True, "fail"),
    (False, True, False, "warn"),
    (True, False, False, "warn"),
    (False, False, False, "warn"),
])
def test_a_missing_browser_is_installed_when_it_can_be_else_fails_ci_else_warns(root, apt_get, ci, action):
    decision = provision.decide(BOTH, root=root, apt_get=apt_get, ci=ci)
    assert decision.action == action
    assert str(provision.CHROMEDRIVER) in decision.message


@pytest.mark.parametrize("root, apt_get, ci", [(True, True, True), (False, False, False)])
def test_a_present_browser_needs_nothing(root, apt_get, ci):
    assert provision.decide([], root=root, apt_get=apt_get, ci=ci) == provision.Decision("none", "")


def test_after_an_install_that_brought_nothing_ci_fails_and_elsewhere_it_warns():
    assert provision.decide(BOTH, True, True, ci=True, installed=True).action == "fail"
    warning = provision.decide(BOTH, True, True, ci=False, installed=True)
    assert warning.action == "warn"
    assert "apt-get did not install them" in warning.message
    assert "SKIPPED" in warning.message


def test_the_messages_say_why_and_how():
    message = provision.decide(BOTH, root=False, apt_get=False, ci=True).message
    assert "not root, no apt-get" in message
    assert "apt-get install -y chromium chromium-driver" in message


@pytest.mark.parametrize("value, ci", [("true", True), ("TRUE", True), ("1", True), ("", False), ("false", False)])
def test_ci_is_the_ci_variable_set_true(value, ci):
    assert provision.in_ci({"CI": value}) is ci
    assert provision.in_ci({}) is False


def test_missing_names_what_is_not_an_executable_file(tmp_path):
    program, plain = tmp_path / "chromium", tmp_path / "chromedriver"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    plain.write_text("")
    assert provision.missing(program, plain) == [plain]
    assert provision.missing(program, tmp_path / "absent") == [tmp_path / "absent"]


@pytest.fixture
def fake(tmp_path):
    """A PATH holding only a fake apt-get, which records its arguments and, asked to install, creates
    the two programs where `--chromium`/`--chromedriver` will look (or fails, if told to)."""
    bin_dir, record = tmp_path / "bin", tmp_path / "apt-get.calls"
    chromium, chromedriver = tmp_path / "chromium", tmp_path / "chromedriver"
    bin_dir.mkdir()
    (bin_dir / "apt-get").write_text(f"""#!/bin/sh
PATH=/usr/bin:/bin  # its own tools (chmod); the PATH it was found on holds only itself
echo "$* DEBIAN_FRONTEND=$DEBIAN_FRONTEND" >> {record}
[ -e {tmp_path}/fail ] && {{ echo "E: Unable to locate package chromium"; exit 100; }}
if [ "$1" = install ]; then
  printf '#!/bin/sh\\n' > {chromium}; printf '#!/bin/sh\\n' > {chromedriver}; chmod +x {chromium} {chromedriver}
fi
exit 0
""")
    (bin_dir / "apt-get").chmod(0o755)

    return SimpleNamespace(
        argv=["--chromium", str(chromium), "--chromedriver", str(chromedriver)],
        path=str(bin_dir),
        calls=lambda: record.read_text().splitlines() if record.exists() else [],
        fail=(tmp_path / "fail").touch,
        installed=lambda: provision.missing(chromium, chromedriver) == [],
    )


def test_as_root_with_apt_get_it_installs_both_packages_non_interactively(fake, capsys):
    assert provision.main(fake.argv, {"PATH": fake.path, "CI": "true"}, euid=0) == 0
    assert fake.calls() == [
        "update DEBIAN_FRONTEND=noninteractive",
        "install -y chromium chromium-driver DEBIAN_FRONTEND=noninteractive",
    ]
    assert fake.installed()
    assert "installed:" in capsys.readouterr().out


def test_once_installed_nothing_runs_again(fake):
    provision.main(fake.argv, {"PATH": fake.path}, euid=0)
    provision.main(fake.argv, {"PATH": fake.path}, euid=0)
    assert len(fake.calls()) == 2


def test_dry_run_prints_the_commands_and_runs_none(fake, capsys):
    assert provision.main([*fake.argv, "--dry-run"], {"PATH": fake.path, "CI": "true"}, euid=0) == 0
    assert fake.calls() == []
    assert not fake.installed()
    out = capsys.readouterr().out
    assert "would run: apt-get update\nwould run: apt-get install -y chromium chromium-driver\n" in out


def test_a_failed_install_fails_ci_showing_apt_gets_words(fake, capsys):
    fake.fail()
    assert provision.main(fake.argv, {"PATH": fake.path, "CI": "true"}, euid=0) == 1
    err = capsys.readouterr().err
    assert "E: Unable to locate package chromium" in err
    assert "CI=true and" in err
    assert fake.calls() == ["update DEBIAN_FRONTEND=noninteractive"]


def test_a_failed_install_outside_ci_warns_loudly_and_succeeds(fake, capsys):
    fake.fail()
    assert provision.main(fake.argv, {"PATH": fake.path}, euid=0) == 0
    assert "!!!!!!!!!!" in capsys.readouterr().err


def test_not_root_it_never_calls_apt_get(fake, capsys):
    assert provision.main(fake.argv, {"PATH": fake.path, "CI": "true"}, euid=1000) == 1
    assert provision.main(fake.argv, {"PATH": fake.path}, euid=1000) == 0
    assert fake.calls() == []
    assert "(not root)" in capsys.readouterr().err


def test_required_fails_outside_ci_too(fake, capsys):
    assert provision.main([*fake.argv, "--required"], {"PATH": fake.path}, euid=1000) == 1
    assert "(not root)" in capsys.readouterr().err


def test_without_apt_get_on_path_ci_fails(fake, tmp_path):
    assert provision.main(fake.argv, {"PATH": str(tmp_path / "empty"), "CI": "true"}, euid=0) == 1
    assert fake.calls() == []


def test_it_runs_as_make_test_runs_it_with_the_standard_library_alone(fake):
    # -S: no site-packages, as before .venv exists; the real browser is not looked at.
    result = subprocess.run([sys.executable, "-S", "-m", "tests.browser.provision", *fake.argv, "--dry-run"],
                            cwd=ROOT, capture_output=True, text=True, env={"PATH": fake.path}, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "would run: apt-get install -y chromium chromium-driver" in result.stdout
