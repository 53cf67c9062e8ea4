"""The ODBC layer's two build-time checks, run here on real inputs: the library collection on
Microsoft's own driver binary (RHEL 9 build, from its mssql-python-odbc wheel: `make
odbc-driver-sample`), and the RDS CA bundle check on certificates made here with openssl."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "odbc"
DRIVER_SAMPLE = ROOT / ".cache" / "msodbcsql" / "mssql_python_odbc" / "libs" / "linux" / "rhel"
GLIBC = {"libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1", "libresolv.so.2"}


def needed(elf: Path) -> set[str]:
    """What `elf` declares it loads (DT_NEEDED), as its vendor built it."""
    dynamic = subprocess.run(
        ["readelf", "--dynamic", str(elf)], capture_output=True, text=True, check=True
    ).stdout
    return {line.split("[")[1].rstrip("]") for line in dynamic.splitlines() if "(NEEDED)" in line}


@pytest.fixture
def driver(tmp_path: Path) -> Path:
    """The driver alone in a folder, as /opt/microsoft/msodbcsql18/lib64 holds it (the wheel
    puts unixODBC's libodbcinst beside it; the layer must bring its own)."""
    (found,) = DRIVER_SAMPLE.glob("x86_64/lib/libmsodbcsql-18.*.so.*") or [None]
    assert found is not None, "run `make odbc-driver-sample`"
    alone = tmp_path / "lib64" / found.name
    alone.parent.mkdir()
    shutil.copy(found, alone)
    return alone


def ship(destination: Path, *elves: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(LAYER / "ship-libraries.sh"), str(destination), *map(str, elves)],
        capture_output=True,
        text=True,
        check=False,
    )


def pyodbc_module() -> Path:
    import pyodbc

    return Path(pyodbc.__file__)


def test_the_layer_ships_every_library_the_driver_and_pyodbc_load(
    driver: Path, tmp_path: Path
) -> None:
    shipped_to = tmp_path / "layer-lib"
    result = ship(shipped_to, driver, pyodbc_module())
    assert result.returncode == 0, result.stderr
    shipped = {path.name for path in shipped_to.iterdir()}
    assert needed(driver) - GLIBC <= shipped
    assert needed(pyodbc_module()) - GLIBC <= shipped
    # What the driver declares, and what those load in turn (Kerberos, GSSAPI, unixODBC).
    assert {
        "libodbcinst.so.2",
        "libkrb5.so.3",
        "libgssapi_krb5.so.2",
        "libk5crypto.so.3",
        "libcom_err.so.2",
        "libkrb5support.so.0",
        "libkeyutils.so.1",
        "libltdl.so.7",
        "libodbc.so.2",
        "libstdc++.so.6",
        "libgcc_s.so.1",
    } <= shipped
    assert not shipped & GLIBC


def test_the_collection_fails_when_a_library_would_come_from_outside_the_layer(
    driver: Path, tmp_path: Path
) -> None:
    """The check half: a library the layer holds but the loader cannot use (here a broken,
    empty copy) would be found outside the layer on this machine, and nowhere on Lambda."""
    shipped_to = tmp_path / "layer-lib"
    shipped_to.mkdir()
    (shipped_to / "libkrb5.so.3").write_bytes(b"")
    result = ship(shipped_to, driver)
    assert result.returncode != 0
    assert "cannot be loaded with the layer's libraries" in result.stderr


def make_ca(folder: Path, name: str, subject: str, *, ca: bool = True, days: int = 30) -> Path:
    certificate = folder / f"{name}.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
            "-keyout", str(folder / f"{name}.key"), "-out", str(certificate),
            "-days", str(days), "-subj", subject,
            "-addext", f"basicConstraints=critical,CA:{'TRUE' if ca else 'FALSE'}",
        ],
        capture_output=True,
        check=True,
    )  # fmt: skip
    return certificate


RDS_ROOT = (
    "/C=US/O=Amazon Web Services, Inc./OU=Amazon RDS/ST=WA/CN=Amazon RDS {} Root CA/L=Seattle"
)


def check_bundle(bundle: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(LAYER / "check-ca-bundle.sh"), str(bundle)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_layer_accepts_a_bundle_of_rds_authorities(tmp_path: Path) -> None:
    bundle = tmp_path / "global-bundle.pem"
    bundle.write_text(
        "".join(
            make_ca(tmp_path, region, RDS_ROOT.format(region)).read_text()
            for region in ("us-east-1", "eu-west-1")
        )
    )
    result = check_bundle(bundle)
    assert (result.returncode, result.stdout.strip()) == (
        0,
        f"{bundle}: 2 Amazon RDS certificate authorities",
    )


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ("", "no certificate"),
        ("<html><body>Access denied</body></html>\n", "not a bundle of PEM certificates"),
        ("other", "not an Amazon RDS authority"),
        ("leaf", "not a certificate authority"),
    ],
)
def test_the_layer_refuses_anything_else(tmp_path: Path, content: str, complaint: str) -> None:
    bundle = tmp_path / "global-bundle.pem"
    rds = make_ca(tmp_path, "rds", RDS_ROOT.format("us-east-1")).read_text()
    if content == "other":
        content = rds + make_ca(tmp_path, "other", "/O=Someone Else/CN=Some CA").read_text()
    elif content == "leaf":
        content = make_ca(tmp_path, "leaf", RDS_ROOT.format("x"), ca=False).read_text()
    bundle.write_text(content)
    result = check_bundle(bundle)
    assert result.returncode == 1
    assert complaint in result.stderr, result.stderr


def test_the_layer_build_runs_both_checks_on_what_it_ships() -> None:
    recipe = [
        line.strip()
        for line in (LAYER / "Makefile").read_text().splitlines()
        if line.startswith("\t")
    ]
    assert (
        'sh ship-libraries.sh "$(ARTIFACTS_DIR)/lib" '
        "/opt/microsoft/msodbcsql18/lib64/libmsodbcsql-18.*.so.* /usr/lib64/libodbc.so.2"
    ) in recipe
    fetch, check, install = recipe[-3:]
    assert fetch == 'curl -fsSL "$(RDS_CA_BUNDLE_URL)" -o rds-global-bundle.pem'
    assert check == "sh check-ca-bundle.sh rds-global-bundle.pem"
    assert (
        install
        == 'cat "$(SYSTEM_CA_BUNDLE)" rds-global-bundle.pem > "$(ARTIFACTS_DIR)/$(CA_BUNDLE)"'
    )
