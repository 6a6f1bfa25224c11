"""Build smartcar_native: the libsmartcar C sources plus the CPython binding.

The library is compiled into the extension (no shared libsmartcar needed).
Its dependencies come from pkg-config (libcurl, libcjson, openssl).
Overrides for unusual installs:

  SMARTCAR_PKG_CONFIG   pkg-config program to run (default: $PKG_CONFIG
                        or "pkg-config")
  SMARTCAR_CFLAGS       compiler flags to use instead of pkg-config's
  SMARTCAR_LIBS         linker flags to use instead of pkg-config's
                        (e.g. "-L/opt/curl/lib -lcurl -lcjson -lssl -lcrypto")
  SMARTCAR_LIBPQ        "0" builds without the PostgreSQL token store even
                        when pkg-config finds libpq
"""

import os
import re
import shlex
import subprocess
import sys
import sysconfig

from setuptools import Extension, setup

# Keep identical to SC_LIB_SOURCES in CMakeLists.txt (checked in CI).
SC_LIB_SOURCES = [
    "csrc/lib/buf.c",
    "csrc/lib/redact.c",
    "csrc/lib/strings.c",
    "csrc/lib/url.c",
    "csrc/lib/platform.c",
    "csrc/lib/json.c",
    "csrc/lib/error.c",
    "csrc/lib/params.c",
    "csrc/lib/client.c",
    "csrc/lib/message.c",
    "csrc/lib/http1.c",
    "csrc/lib/result.c",
    "csrc/lib/auth.c",
    "csrc/lib/bind_host.c",
    "csrc/lib/bind_json.c",
    "csrc/lib/bind_text.c",
    "csrc/lib/request.c",
    "csrc/lib/op.c",
    "csrc/lib/paging.c",
    "csrc/lib/shape.c",
    "csrc/lib/debug.c",
    "csrc/lib/call.c",
    "csrc/lib/answer.c",
    "csrc/lib/async.c",
    "csrc/lib/rate.c",
    "csrc/lib/webhook.c",
    "csrc/lib/state_seal.c",
    "csrc/lib/webhook_seen.c",
    "csrc/lib/signals.c",
    "csrc/lib/store.c",
    "csrc/lib/store_sqlite.c",
    "csrc/lib/store_pg.c",
    "csrc/lib/store_host.c",
    "csrc/lib/transport_curl.c",
]

PKG_CONFIG_PACKAGES = ["libcurl", "libcjson", "openssl", "sqlite3"]
# libpq (Debian: libpq-dev) adds the PostgreSQL token store when found.
LIBPQ = "libpq"
FALLBACK_LIBS = ["curl", "cjson", "ssl", "crypto", "sqlite3"]

HERE = os.path.dirname(os.path.abspath(__file__))


def read_version():
    """SC_VERSION from csrc/include/smartcar/common.h."""
    path = os.path.join(HERE, "csrc", "include", "smartcar", "common.h")
    with open(path, encoding="utf-8") as f:
        match = re.search(r'#define\s+SC_VERSION\s+"([^"]+)"', f.read())
    if not match:
        raise RuntimeError("SC_VERSION not found in " + path)
    return match.group(1)


def pkg_config(*args, packages=None):
    program = os.environ.get("SMARTCAR_PKG_CONFIG") or os.environ.get(
        "PKG_CONFIG", "pkg-config"
    )
    try:
        out = subprocess.run(
            [program, *args, *(packages or PKG_CONFIG_PACKAGES)],
            check=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            universal_newlines=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        if packages:  # an optional package: its absence is no warning
            return None
        sys.stderr.write(
            "warning: %s %s failed (%s); using default flags\n"
            % (program, " ".join(args), exc)
        )
        return None
    return shlex.split(out)


# pkg-config name -> what provides it, per family of systems
DEPENDENCIES = {
    "libcurl": "Debian/Ubuntu libcurl4-openssl-dev, Fedora libcurl-devel, "
               "Alpine curl-dev, Arch curl, Homebrew curl",
    "libcjson": "Debian/Ubuntu libcjson-dev, Fedora cjson-devel, "
                "Alpine cjson-dev, Arch cjson, Homebrew cjson",
    "openssl": "Debian/Ubuntu libssl-dev, Fedora openssl-devel, "
               "Alpine openssl-dev, Arch openssl, Homebrew openssl@3",
    "sqlite3": "Debian/Ubuntu libsqlite3-dev, Fedora sqlite-devel, "
               "Alpine sqlite-dev, Arch sqlite, Homebrew sqlite",
}


def check_dependencies():
    """Stop with one line naming what is missing, before any compiler
    runs: pkg-config itself, a library's development files, Python.h.
    Skipped when SMARTCAR_CFLAGS and SMARTCAR_LIBS give the flags."""
    if "SMARTCAR_CFLAGS" in os.environ and "SMARTCAR_LIBS" in os.environ:
        return
    program = os.environ.get("SMARTCAR_PKG_CONFIG") or os.environ.get(
        "PKG_CONFIG", "pkg-config"
    )
    missing = None
    try:
        subprocess.run([program, "--version"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except (OSError, subprocess.CalledProcessError):
        missing = ("pkg-config (Debian/Ubuntu/Alpine pkg-config or pkgconf, "
                   "Fedora pkgconf-pkg-config, Homebrew pkg-config)")
    for name in PKG_CONFIG_PACKAGES if missing is None else ():
        found = subprocess.run([program, "--exists", name],
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL).returncode == 0
        if not found:
            missing = "%s (%s)" % (name, DEPENDENCIES[name])
            break
    include = sysconfig.get_paths().get("include") or ""
    if missing is None and not os.path.exists(
            os.path.join(include, "Python.h")):
        missing = ("Python.h (Debian/Ubuntu python3-dev, Fedora "
                   "python3-devel, Alpine python3-dev)")
    if missing is not None:
        sys.exit("smartcar-native: missing build dependency %s; see "
                 "\"Install\" in README.md" % missing)


def split_flags(flags, prefix):
    """Take the flags starting with prefix; return (values, rest)."""
    values, rest = [], []
    for flag in flags:
        if flag.startswith(prefix):
            values.append(flag[len(prefix):])
        else:
            rest.append(flag)
    return values, rest


def dependency_flags():
    include_dirs = [
        os.path.join("csrc", "include"),
        os.path.join("csrc", "lib"),
    ]
    cflags = os.environ.get("SMARTCAR_CFLAGS")
    cflags = shlex.split(cflags) if cflags is not None else pkg_config("--cflags")
    if cflags is None:
        cflags = ["-I/usr/include/cjson"]
    incs, extra_compile = split_flags(cflags, "-I")
    include_dirs += incs

    libs = os.environ.get("SMARTCAR_LIBS")
    libs = shlex.split(libs) if libs is not None else pkg_config("--libs")
    if libs is None:
        libs = ["-l" + name for name in FALLBACK_LIBS]
    macros = []
    if os.environ.get("SMARTCAR_LIBPQ", "auto") != "0" and pkg_config(
        "--exists", packages=[LIBPQ]
    ) is not None:
        pq_incs, _ = split_flags(pkg_config("--cflags", packages=[LIBPQ])
                                 or [], "-I")
        include_dirs += pq_incs
        libs = libs + (pkg_config("--libs", packages=[LIBPQ]) or ["-lpq"])
        macros.append(("SC_HAVE_LIBPQ", "1"))
    libraries, rest = split_flags(libs, "-l")
    library_dirs, extra_link = split_flags(rest, "-L")
    if not sys.platform.startswith("win"):
        libraries.append("pthread")
    if "m" not in libraries:
        libraries.append("m")
    return dict(
        include_dirs=include_dirs,
        define_macros=macros,
        library_dirs=library_dirs,
        libraries=libraries,
        extra_compile_args=extra_compile + ["-fvisibility=hidden"],
        extra_link_args=extra_link,
    )


def depends():
    """Headers and X-macro tables: rebuild when they change."""
    found = []
    for top in (os.path.join("csrc", "include"), os.path.join("csrc", "lib")):
        for root, _dirs, files in os.walk(os.path.join(HERE, top)):
            for name in files:
                if name.endswith((".h", ".def")):
                    path = os.path.join(root, name)
                    found.append(os.path.relpath(path, HERE))
    # the wrappers tools/gen-c-bindings.py writes, #included by _core.c
    found.append(os.path.join("python", "smartcar_native",
                              "_core_functions.h"))
    return sorted(found)


if __name__ == "__main__":
    check_dependencies()

core = Extension(
    "smartcar_native._core",
    sources=SC_LIB_SOURCES + ["python/smartcar_native/_core.c"],
    depends=depends(),
    **dependency_flags(),
)

setup(
    version=read_version(),
    # build/ belongs to CMake; keep setuptools' objects apart.  Always
    # recompile: the C sources change under a stale build-python/.
    options={"build": {"build_base": "build-python", "force": True}},
    packages=["smartcar_native"],
    package_dir={"": "python"},
    package_data={"smartcar_native": ["py.typed", "*.pyi"]},
    exclude_package_data={"smartcar_native": ["*.c"]},
    ext_modules=[core],
    zip_safe=False,
)
