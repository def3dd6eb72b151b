"""Build the views' JavaScript into interplab_widgets/static/ when installing from a clone."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class BuildViews(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        root = Path(self.root)
        js = root / "js"
        if not (js / "package.json").exists():  # an sdist or wheel built elsewhere: static/ is shipped
            return
        static = root / "interplab_widgets" / "static"
        bundles = [static / f"{entry.stem}.js" for entry in (js / "src").glob("*.ts")]  # one per view entry
        sources = [p for p in (js / "src").rglob("*") if p.is_file()] + [js / "package.json", js / "build.mjs"]
        newest_source = max(p.stat().st_mtime for p in sources)
        if all(b.exists() and b.stat().st_mtime >= newest_source for b in bundles):
            return
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("Building the views needs Node.js and npm (>= 18): install them, then reinstall.")
        if not (js / "node_modules").exists():
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=js, check=True)
        subprocess.run([npm, "run", "build"], cwd=js, check=True)
