"""Render every desktop screen offscreen to PNG files, against a real embedded server with sample users.

uv run python tools/screenshots.py [--out screenshots] [--docs docs/screenshots] [--width 1366 --height 768]

Every screen goes to --out (numbered); with --docs the README's screens are also written there under their plain
names, plus the Transform editor at 1024x600 (transform-1024x600.png), the smallest screen the app supports.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PASSWORD = "nairobi-water-77"


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the screen did not reach the expected state in time")
        QApplication.processEvents()
        time.sleep(0.01)


def _pump(seconds: float) -> None:
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.01)


DOC_SHOTS = {"home", "onboarding", "users", "sources", "data", "transform", "transform-1024x600", "pipelines"}


class Shooter:
    def __init__(self, out: Path, docs: Path | None = None) -> None:
        self.out, self.docs = out, docs
        self.files: list[Path] = []
        out.mkdir(parents=True, exist_ok=True)

    def __call__(self, widget: object, name: str) -> None:
        _pump(0.25)
        path = self.out / f"{len(self.files) + 1:02d}-{name}.png"
        widget.grab().save(str(path))  # type: ignore[attr-defined]
        self.files.append(path)
        print(f"  {path}")
        if self.docs is not None and name in DOC_SHOTS:
            self.docs.mkdir(parents=True, exist_ok=True)
            widget.grab().save(str(self.docs / f"{name}.png"))  # type: ignore[attr-defined]


def at_size(window: Any, width: int, height: int, shoot: Shooter, name: str) -> None:
    """Shoot `window` at another size (a small laptop), then put it back."""
    before = window.size()
    window.resize(width, height)
    shoot(window, name)
    window.resize(before)


def seed_people(url: str, admin_client: object) -> None:
    """A few members and pending invitations so the Users page shows what it is for."""
    from desktop.client import DalgoClient

    admin = admin_client
    for email, role in (("amina.otieno@example.org", "admin"), ("brian.mwangi@example.org", "analyst"),
                        ("chloe.njeri@example.org", "member")):  # fmt: skip
        DalgoClient(url).accept_invitation(admin.create_invitation(email, role).code, PASSWORD)  # type: ignore[attr-defined]
    admin.create_invitation("david.kamau@example.org", "analyst")  # type: ignore[attr-defined]
    admin.create_invitation("esther.wanjiru@example.org", "member")  # type: ignore[attr-defined]


VILLAGES = (
    "id,city,district,households,surveyed_on\n1,Bengaluru , North,12,01/02/2024\n2,bengaluru,North,7,02/02/2024\n"
    "3,BENGALURU,South,3,03/02/2024\n4,Mysuru,South,9,04/02/2024\n5,Bangalore,North,4,05/02/2024\n"
    "6,Mysore,North,5,06/02/2024\n7,mysuru ,South,8,07/02/2024\n"
)


def shoot_transform(shell: Any, admin: Any, shoot: Shooter, home: Path) -> None:
    """A CSV synced as a source, a recipe with a cluster merge and a facet, a run, and the lineage."""
    from desktop.state.recipe import column_actions

    csv = home / "villages.csv"
    csv.write_text(VILLAGES)
    source = admin.create_source("Villages", "csv", {"upload_id": admin.upload_file(csv).id})
    admin.discover_source(source.id)
    job_id = admin.sync_source(source.id).job_id
    wait_until(lambda: admin.get_job(job_id).status == "succeeded")
    page = shell.transform_page
    shell.go("transform")
    wait_until(lambda: bool(page.model.tables and page.model.operations))
    schema, table = page.model.tables[0]
    page.model.new_recipe("Clean villages", f"{schema}.{table}")
    wait_until(lambda: page.recipe.preview is not None)
    page.recipe.add_step("trim", {"columns": ["city", "district"]})
    wait_until(lambda: len(page.recipe.steps) == 1)
    page.recipe_editor.column_action("city", next(a for a in column_actions("city") if a.op == "clusters"))
    dialog = page.recipe_editor.dialog
    wait_until(lambda: dialog.table.rowCount() > 0)
    shoot(dialog, "transform-clusters")
    dialog.submit()
    wait_until(lambda: len(page.recipe.steps) == 2)
    page.recipe.add_step("parse_dates", {"column": "surveyed_on", "formats": ["dd/mm/yyyy"]})
    wait_until(lambda: len(page.recipe.steps) == 3)
    page.recipe.load_facet("city")
    wait_until(lambda: page.recipe.facet is not None and page.recipe.preview is not None)
    shoot(shell.window(), "transform")
    at_size(shell.window(), 1024, 600, shoot, "transform-1024x600")
    page.save_and_run()
    wait_until(lambda: page.model.job is not None and not page.model.job.active, timeout=120)
    shoot(shell.window(), "transform-run")
    page.tabs.setCurrentWidget(page.lineage)
    wait_until(lambda: bool(page.model.lineage_png))
    shoot(shell.window(), "transform-lineage")
    page.tabs.setCurrentWidget(page.editors)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    parser.add_argument("--docs", type=Path, default=None, help="also write the README's screens here")
    parser.add_argument("--width", type=int, default=1366)
    parser.add_argument("--height", type=int, default=768)
    args = parser.parse_args(argv)

    from desktop.app import EmbeddedServer, embedded_settings
    from desktop.client import DalgoClient
    from desktop.state.credentials import FileCredentialStore
    from desktop.state.prefs import Preferences
    from desktop.state.server import ServerTarget
    from desktop.state.session import AppState, Screen
    from desktop.ui.qt_app import create_application
    from desktop.ui.qt_main import QtMainWindow
    from desktop.ui.qt_runner import QtRunner

    home = Path(tempfile.mkdtemp(prefix="dalgo-shots-"))
    qt_app = create_application()
    server = EmbeddedServer(embedded_settings(home))
    state = AppState(QtRunner(), FileCredentialStore(home / "credentials.json"), Preferences(home / "desktop.json"))
    window = QtMainWindow(state)
    window.resize(args.width, args.height)
    window.show()
    shoot = Shooter(args.out, args.docs)
    print(f"Screens of Dalgo Desktop → {args.out}/")
    try:
        shoot(window, "starting")
        url = server.start()
        state.local_ready(ServerTarget.local(url, home))
        wait_until(lambda: state.screen == Screen.onboarding)
        onboarding = window.onboarding
        onboarding.email.setText("admin@sunrise-health.org")
        onboarding.password.setText(PASSWORD)
        onboarding.confirm.setText(PASSWORD)
        shoot(window, "onboarding")
        onboarding.next()
        onboarding.org_name.setText("Sunrise Health, Kisumu")
        shoot(window, "onboarding-organisation")
        onboarding.finish()
        wait_until(lambda: state.screen == Screen.main)
        admin = DalgoClient(url)
        admin.login("admin@sunrise-health.org", PASSWORD)
        admin.use_org(state.org.org.slug)  # type: ignore[union-attr]
        admin.create_org("Lakeside Schools Trust")
        seed_people(url, admin)
        state.refresh_me()
        wait_until(lambda: len(state.me.memberships) == 2)  # type: ignore[union-attr]
        shell = window.shell
        shell.go("home")
        shoot(window, "home")
        shell.go("users")
        wait_until(lambda: len(shell.users.members) == 4 and not shell.users.loading)
        shell.users_page.members.selectRow(2)
        shoot(window, "users")
        shell.users_page.open_invite()
        dialog = shell.users_page.dialog
        dialog.email.setText("faith.achieng@example.org")  # type: ignore[union-attr]
        shoot(dialog, "invite-dialog")
        dialog.submit()  # type: ignore[union-attr]
        wait_until(lambda: shell.users_page.dialog is not dialog)
        shoot(shell.users_page.dialog, "invitation-code")
        shell.users_page.dialog.accept()  # type: ignore[union-attr]
        shell.go("settings")
        wait_until(lambda: len(shell.audit.events) > 0)
        shoot(window, "settings")
        shoot_transform(shell, admin, shoot, home)
        from screenshots_data import shoot_sources_and_data  # tools/ is on sys.path when run as a script

        shoot_sources_and_data(shell, admin, shoot, home, wait_until)
        from screenshots_pipelines import shoot_pipelines

        shoot_pipelines(shell, admin, shoot, wait_until, at_size)
        shell.go("charts")
        shoot(window, "coming-later")
        shell.go("users")
        other = window.shell.topbar.orgs.findText("Lakeside Schools Trust")
        window.shell.topbar.orgs.setCurrentIndex(other)
        window.shell.topbar.orgs.activated.emit(other)  # what a click on the org switcher does
        wait_until(lambda: state.org.org.name == "Lakeside Schools Trust" and len(shell.users.members) == 1)  # type: ignore[union-attr]
        shoot(window, "users-other-org")
        state.logout()
        wait_until(lambda: state.screen == Screen.login)
        state.login("admin@sunrise-health.org", "not-my-password")
        wait_until(lambda: state.banner.notice is not None)
        shoot(window, "login-wrong-password")
        window.login.open_accept()
        shoot(window.login.dialog, "accept-invitation")
        window.login.dialog.reject()  # type: ignore[union-attr]
        window.login.open_forgot()
        shoot(window.login.dialog, "forgot-password")
    finally:
        window.close()
        qt_app.processEvents()
        server.stop()
    print(f"{len(shoot.files)} screenshots written.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
