"""Page assets become local only when the very file and version are installed."""

import json
from pathlib import Path

from gateway.assets import INSTALLED_MARK, OfflineAssets, package_files

PAGE = (
    '<script src="https://cdn.example/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>'
    '<script src="https://cdn.example/graphiql@3.8.3/graphiql.min.js"></script>'
    '<link href="https://cdn.example/@graphiql/plugin-explorer@1.0.2/dist/style.css">'
    '<link href="https://fonts.example/css?family=Roboto">'
)


def install(root: Path, package: str, version: str, path: str) -> None:
    folder = root / package
    (folder / path).parent.mkdir(parents=True, exist_ok=True)
    (folder / path).write_text("// file")
    (folder / "package.json").write_text(json.dumps({"name": package, "version": version}))
    (root / INSTALLED_MARK).touch()


def test_the_page_is_unchanged_when_nothing_is_installed(tmp_path: Path) -> None:
    assert OfflineAssets(tmp_path / "missing").localize(PAGE) == PAGE


def test_installed_files_of_the_pinned_version_are_served_locally(tmp_path: Path) -> None:
    install(tmp_path, "swagger-ui-dist", "5.17.14", "swagger-ui-bundle.js")
    install(tmp_path, "graphiql", "3.8.3", "graphiql.min.js")
    install(tmp_path, "@graphiql/plugin-explorer", "1.0.2", "dist/style.css")
    page = OfflineAssets(tmp_path).localize(PAGE)
    assert page == (
        '<script src="/assets/swagger-ui-dist/swagger-ui-bundle.js"></script>'
        '<script src="/assets/graphiql/graphiql.min.js"></script>'
        '<link href="/assets/@graphiql/plugin-explorer/dist/style.css">'
        '<link href="https://fonts.example/css?family=Roboto">'
    )


def test_files_of_an_install_that_has_not_finished_are_left_to_the_cdn(tmp_path: Path) -> None:
    install(tmp_path, "graphiql", "3.8.3", "graphiql.min.js")
    (tmp_path / INSTALLED_MARK).unlink()
    assert OfflineAssets(tmp_path).localize(PAGE) == PAGE


def test_another_version_or_a_missing_file_falls_back_to_the_cdn(tmp_path: Path) -> None:
    install(tmp_path, "graphiql", "3.8.4", "graphiql.min.js")
    install(tmp_path, "swagger-ui-dist", "4.0.0", "swagger-ui-bundle.js")
    install(tmp_path, "@graphiql/plugin-explorer", "1.0.2", "dist/other.css")
    assert OfflineAssets(tmp_path).localize(PAGE) == PAGE


def test_the_pinned_packages_are_read_from_the_page() -> None:
    assert [file.spec for file in package_files(PAGE)] == [
        "swagger-ui-dist@5",
        "graphiql@3.8.3",
        "@graphiql/plugin-explorer@1.0.2",
    ]
