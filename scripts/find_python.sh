#!/usr/bin/env bash
# The Python that `make install` / `make lock` builds on: prints its command on stdout and "python: ... (3.x.y)"
# on stderr, or one line on stderr naming the versions that work and exits 1 -- in milliseconds, before any pip.
# The supported versions are pyproject.toml's requires-python (">=3.A,<3.B": 3.A up to 3.(B-1)).
# usage: scripts/find_python.sh [PYTHON]   PYTHON given (a command or a path): that one, checked;
#                                          empty: the first of python3.A ... python3.(B-1), python3 on PATH that runs
#                                          and is supported (a pyenv shim of a version not selected does not run)
#        scripts/find_python.sh --supported   the supported versions, lowest first ("3.11 3.12 3.13")
# Bash builtins only (no sed, no grep), so that it answers the same on any PATH.
set -uo pipefail

here=.
[[ $0 == */* ]] && here=${0%/*}
spec=
while IFS= read -r line; do
  if [[ $line =~ ^requires-python[[:space:]]*=[[:space:]]*\"([^\"]*)\" ]]; then
    spec=${BASH_REMATCH[1]}
    break
  fi
done <"$here/../pyproject.toml"
if ! [[ $spec =~ ^\>=3\.([0-9]+)(\.([0-9]+))?,[[:space:]]*\<3\.([0-9]+)$ ]]; then
  echo "find_python: pyproject.toml's requires-python is '$spec', not the '>=3.A,<3.B' this script reads" >&2
  exit 2
fi
low=${BASH_REMATCH[1]} low_patch=${BASH_REMATCH[3]:-0} high=${BASH_REMATCH[4]}
supported=()
for ((minor = low; minor < high; minor++)); do supported+=("3.$minor"); done
if [[ ${1:-} == --supported ]]; then
  echo "${supported[*]}"
  exit 0
fi

# "3.11, 3.12 or 3.13" (with the lowest patch release when requires-python names one)
names=${supported[0]}
((low_patch > 0)) && names+=".$low_patch+"
for ((i = 1; i < ${#supported[@]}; i++)); do
  if ((i == ${#supported[@]} - 1)); then names+=" or ${supported[i]}"; else names+=", ${supported[i]}"; fi
done
needs="judgeops needs Python $names (pyproject.toml: requires-python $spec)"

# "3.11.2 1": the version, and whether venv can make a venv with pip (Debian ships ensurepip apart).
# Written so that any Python, 2.7 included, answers it.
probe=$'import sys\ntry:\n    import ensurepip, venv\n    ok = 1\nexcept Exception:\n    ok = 0\nprint("%d.%d.%d %d" % (sys.version_info[:3] + (ok,)))'

# Sets $version and $has_venv; fails when the command does not run.
probe() {
  local out
  out=$("$1" -c "$probe" 2>/dev/null) || return 1
  [[ $out =~ ^([0-9]+\.[0-9]+\.[0-9]+)\ ([01])$ ]] || return 1
  version=${BASH_REMATCH[1]} has_venv=${BASH_REMATCH[2]}
}

in_range() {
  local major minor patch
  IFS=. read -r major minor patch <<<"$1"
  ((major == 3 && minor >= low && minor < high && (minor > low || patch >= low_patch)))
}

chosen() {
  if ((has_venv == 0)); then
    echo "find_python: $1 is Python $version without its venv module (ensurepip); on Debian or Ubuntu: apt-get install python${version%.*}-venv" >&2
    exit 1
  fi
  echo "python: $1 (Python $version)" >&2
  echo "$1"
  exit 0
}

if [[ -n ${1:-} ]]; then
  if ! probe "$1"; then
    echo "find_python: PYTHON=$1 does not run; $needs: give one as PYTHON=... or leave PYTHON out to take the first on PATH" >&2
    exit 1
  fi
  in_range "$version" || {
    echo "find_python: PYTHON=$1 is Python $version; $needs: give one as PYTHON=... or leave PYTHON out to take the first on PATH" >&2
    exit 1
  }
  chosen "$1"
fi

tried=() no_venv=
for name in "${supported[@]/#/python}" python3; do
  tried+=("$name")
  if ! { command -v "$name" >/dev/null 2>&1 && probe "$name" && in_range "$version"; }; then continue; fi
  if ((has_venv)); then chosen "$(command -v "$name")"; fi
  : "${no_venv:=$name}"
done
[[ -n $no_venv ]] && probe "$no_venv" && chosen "$(command -v "$no_venv")"  # says what to install
echo "find_python: no supported Python on PATH (tried ${tried[*]}); $needs: install one, or give its path as PYTHON=..." >&2
exit 1
