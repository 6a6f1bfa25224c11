"""Type checks of the public API (run by run.sh with the typing venv).

1. mypy --strict accepts tests/typing/*.py and the README's Python
   examples (with the names they leave free declared in a prelude);
2. mypy --strict rejects every line marked `# rejected` in
   tests/typing/rejected/, and no other line;
3. pyright --verifytypes smartcar_native reports 100% completeness.

Prints one line per check and ends with "N passed, N failed".
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TOOLS = os.path.dirname(sys.executable)
PROJECT_PYTHON = os.path.join(ROOT, ".venv", "bin", "python")

# Names the README's snippets use without defining them.
README_PRELUDE = '''\
from typing import Any, Dict
import smartcar_native as smartcar
CLIENT_ID: str
CLIENT_SECRET: str
REDIRECT_URI: str
AMT: str
callback_url: str
code: str
user_id: str
vid: str
raw_body: bytes
class _Request:
    headers: Dict[str, str]
request: _Request
'''

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print("%s %s%s" % ("ok  " if ok else "FAIL", name,
                       "" if ok or not detail else "\n" + detail))


def mypy(paths):
    proc = subprocess.run(
        [os.path.join(TOOLS, "mypy"), "--strict", "--no-incremental",
         "--python-executable", PROJECT_PYTHON, "--show-error-codes",
         "--no-error-summary", *paths],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=300, cwd=ROOT)
    return proc.returncode, proc.stdout


def readme_snippets(work):
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    paths = []
    for i, block in enumerate(re.findall(r"```python\n(.*?)```", text,
                                         re.S)):
        if "import smartcar_native" not in block:
            continue
        path = os.path.join(work, "readme_%d.py" % i)
        with open(path, "w", encoding="utf-8") as f:
            f.write(README_PRELUDE + block)
        paths.append(path)
    return paths


def main():
    good = sorted(os.path.join(HERE, n) for n in os.listdir(HERE)
                  if n.endswith(".py") and n != "check.py")
    rc, out = mypy(good)
    check("mypy --strict tests/typing/", rc == 0 and not out.strip(), out)

    with tempfile.TemporaryDirectory() as work:
        snippets = readme_snippets(work)
        rc, out = mypy(snippets)
        check("mypy --strict README examples (%d)" % len(snippets),
              bool(snippets) and rc == 0 and not out.strip(), out)

    rejected_dir = os.path.join(HERE, "rejected")
    for name in sorted(os.listdir(rejected_dir)):
        path = os.path.join(rejected_dir, name)
        with open(path, encoding="utf-8") as f:
            marked = {i + 1 for i, line in enumerate(f)
                      if line.rstrip().endswith("# rejected")}
        rc, out = mypy([path])
        flagged = {int(m) for m in re.findall(r"^[^:\n]+:(\d+): error",
                                              out, re.M)}
        check("mypy rejects every marked line of %s (%d)"
              % (name, len(marked)),
              bool(marked) and flagged == marked,
              "marked %s\nflagged %s\n%s" % (sorted(marked), sorted(flagged),
                                             out))

    env = dict(os.environ, VIRTUAL_ENV=os.path.join(ROOT, ".venv"),
               PATH=os.path.join(ROOT, ".venv", "bin") + os.pathsep
               + os.environ.get("PATH", ""))
    proc = subprocess.run(
        [os.path.join(TOOLS, "pyright"), "--verifytypes", "smartcar_native"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=300, cwd=tempfile.gettempdir(), env=env)
    score = re.search(r"Type completeness score: ([\d.]+)%", proc.stdout)
    check("pyright --verifytypes smartcar_native: %s%%"
          % (score.group(1) if score else "?"),
          bool(score) and float(score.group(1)) == 100.0,
          "\n".join(l for l in proc.stdout.splitlines() if "error" in l))

    passed = sum(results)
    print("%d passed, %d failed" % (passed, len(results) - passed))
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
