"""The ODBC layer's two build-time checks, run here on real inputs: the library collection on
Microsoft's own driver binary (RHEL 9 build, from its mssql-python-odbc wheel: `make
odbc-driver-sample`), and the RDS CA bundle check on certificates made here (with openssl, and
with cryptography for the expired ones)."""

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

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


def make_expired_ca(folder: Path, name: str, common_name: str) -> Path:
    """An RDS-like authority that expired yesterday, as RDS's 2019 roots have (openssl's `req`
    makes no certificate valid only in the past)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Amazon Web Services, Inc."),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Amazon RDS"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=2000))
        .not_valid_after(now - timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = folder / f"{name}.pem"
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return path


def check_bundle(bundle: Path, out: Path, region: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(LAYER / "check-ca-bundle.sh"), str(bundle), str(out), region],
        capture_output=True,
        text=True,
        check=False,
    )


def certificates(pem: str) -> list[str]:
    return [
        "-----BEGIN CERTIFICATE-----" + part
        for part in pem.split("-----BEGIN CERTIFICATE-----")[1:]
    ]


def test_the_layer_accepts_a_bundle_of_rds_authorities(tmp_path: Path) -> None:
    bundle = tmp_path / "global-bundle.pem"
    bundle.write_text(
        "".join(
            make_ca(tmp_path, region, RDS_ROOT.format(region)).read_text()
            for region in ("us-east-1", "eu-west-1")
        )
    )
    out = tmp_path / "valid.pem"
    result = check_bundle(bundle, out)
    assert (result.returncode, result.stdout.strip(), result.stderr) == (
        0,
        f"{bundle}: 2 of 2 Amazon RDS certificate authorities kept",
        "",
    )
    assert out.read_text() == bundle.read_text()


def rds_like_bundle(folder: Path) -> Path:
    """As RDS publishes it: the 2019 roots, expired, beside the valid ones of each region."""
    bundle = folder / "global-bundle.pem"
    bundle.write_text(
        make_expired_ca(folder, "root-2019", "Amazon RDS Root 2019 CA").read_text()
        + make_ca(folder, "us", RDS_ROOT.format("us-east-1")).read_text()
        + make_expired_ca(folder, "eu-2019", "Amazon RDS eu-west-1 2019 CA").read_text()
        + make_ca(folder, "eu", RDS_ROOT.format("eu-west-1")).read_text()
    )
    return bundle


def test_the_layer_drops_expired_authorities_with_a_warning_and_keeps_the_valid_ones(
    tmp_path: Path,
) -> None:
    bundle = rds_like_bundle(tmp_path)
    out = tmp_path / "valid.pem"
    result = check_bundle(bundle, out, "eu-west-1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"{bundle}: 2 of 4 Amazon RDS certificate authorities kept (1 for eu-west-1)"
    )
    assert result.stderr.splitlines() == [
        f"{bundle}: warning: dropped, expired: "
        "subject=CN=Amazon RDS Root 2019 CA,OU=Amazon RDS,O=Amazon Web Services\\, Inc.,C=US",
        f"{bundle}: warning: dropped, expired: "
        "subject=CN=Amazon RDS eu-west-1 2019 CA,OU=Amazon RDS,O=Amazon Web Services\\, Inc.,C=US",
    ]
    kept = certificates(bundle.read_text())
    assert certificates(out.read_text()) == [kept[1], kept[3]]


def test_the_layer_fails_when_no_valid_authority_remains_for_the_region(tmp_path: Path) -> None:
    bundle = rds_like_bundle(tmp_path)
    out = tmp_path / "valid.pem"
    result = check_bundle(bundle, out, "ap-south-2")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"{bundle}: no valid certificate authority for ap-south-2"
    )
    assert not out.exists()


def test_the_layer_fails_when_every_authority_has_expired(tmp_path: Path) -> None:
    bundle = tmp_path / "global-bundle.pem"
    bundle.write_text(make_expired_ca(tmp_path, "root-2019", "Amazon RDS Root 2019 CA").read_text())
    out = tmp_path / "valid.pem"
    result = check_bundle(bundle, out)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"{bundle}: no valid certificate authority (all 1 expired)"
    )
    assert not out.exists()


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
    out = tmp_path / "valid.pem"
    result = check_bundle(bundle, out)
    assert result.returncode == 1
    assert complaint in result.stderr, result.stderr
    assert not out.exists()


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
    assert check == (
        'sh check-ca-bundle.sh rds-global-bundle.pem rds-valid-bundle.pem "$(AWS_REGION)"'
    )
    assert (
        install
        == 'cat "$(SYSTEM_CA_BUNDLE)" rds-valid-bundle.pem > "$(ARTIFACTS_DIR)/$(CA_BUNDLE)"'
    )
