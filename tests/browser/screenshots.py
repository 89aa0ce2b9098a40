"""Regenerate the user guide's screenshots, docs/img/*.png:

    python -m tests.browser.screenshots

runs tests/browser/test_guide_screenshots.py (headless /usr/bin/chromium, the demo data,
the suite's pinned clock) with TDKT_GUIDE_IMG pointing at a scratch directory, checks
every PNG is 1280×800 and at most 150 KB, and only then replaces docs/img/*.png with
them. Nothing in docs/img/ changes when a test fails."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests" / "browser" / "test_guide_screenshots.py"
TARGET = ROOT / "docs" / "img"
MAX_BYTES = 150 * 1024
SIZE = (1280, 800)


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="tdkt-guide-") as scratch:
        env = {**os.environ, "TDKT_GUIDE_IMG": scratch}
        run = subprocess.run([sys.executable, "-m", "pytest", str(TESTS), "-q", "-n", "0",
                              "-p", "no:cacheprovider"], cwd=ROOT, env=env, check=False)
        if run.returncode:
            print(f"the guide's tests failed; {TARGET} is unchanged", file=sys.stderr)
            return run.returncode
        shots = sorted(Path(scratch).glob("*.png"))
        bad = [f"{p.name}: {png_size(p)}, {p.stat().st_size} bytes" for p in shots
               if png_size(p) != SIZE or p.stat().st_size > MAX_BYTES]
        if not shots or bad:
            print("refused: " + ("; ".join(bad) or "no screenshots"), file=sys.stderr)
            return 1
        TARGET.mkdir(parents=True, exist_ok=True)
        for old in TARGET.glob("*.png"):
            old.unlink()
        for shot in shots:
            shutil.copyfile(shot, TARGET / shot.name)
    total = sum(p.stat().st_size for p in TARGET.glob("*.png"))
    print(f"{len(shots)} screenshots in {TARGET.relative_to(ROOT)}/ ({total // 1024} KB, "
          f"largest {max(p.stat().st_size for p in TARGET.glob('*.png')) // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
