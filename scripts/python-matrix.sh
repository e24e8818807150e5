#!/usr/bin/env bash
# `make install && make test` on each supported Python, one after another, each in its own scratch clone of
# this repository's HEAD (commit first: uncommitted changes are not tested), and one result line per version.
# usage: scripts/python-matrix.sh [--list] [PYTHON ...]   (--list: say which Pythons it would run, and stop)
#   no arguments: every supported version found (pyproject.toml's requires-python, scripts/find_python.sh
#   --supported), one interpreter per exact version, looked for as python3.X on PATH, /usr/bin/python3.X,
#   /usr/local/bin/python3.X and pyenv's versions/3.X.*; a version found nowhere is reported as such.
# Env: MATRIX_DIR (default: a new /tmp/judgeops-matrix.XXXXXX) keeps the clones' logs; KEEP_VENVS=1 keeps
# each clone's .venv (2-7 GB: a Python without a CPU torch wheel at hand gets PyPI's CUDA build).
# Exit status: 0 when every version passed. Each version takes an install (4-6 min, more when torch is
# downloaded) and the suite (~9 min on 2 cores): run it under nice when the machine is shared.
set -uo pipefail
list=0
[[ ${1:-} == --list ]] && { list=1; shift; }

repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
find_python="$repo/scripts/find_python.sh"
read -ra supported <<<"$(bash "$find_python" --supported)" || exit 2

version_of() { "$1" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null; }

pythons=() versions=() missing=()
add() {  # add PYTHON unless it does not run or its exact version is already listed
  local v
  v=$(version_of "$1") || return 0
  [[ " ${versions[*]} " == *" $v "* ]] && return 0
  pythons+=("$1") versions+=("$v")
}
if (($#)); then
  for py in "$@"; do
    v=$(version_of "$py") || { echo "python-matrix: $py does not run" >&2; exit 2; }
    pythons+=("$py") versions+=("$v")
  done
else
  pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
  for minor in "${supported[@]}"; do
    before=${#pythons[@]}
    command -v "python$minor" >/dev/null 2>&1 && add "$(command -v "python$minor")"
    for py in "/usr/bin/python$minor" "/usr/local/bin/python$minor" "$pyenv_root/versions/$minor".*/bin/"python$minor"; do
      [[ -x $py ]] && add "$py"
    done
    ((${#pythons[@]} > before)) || missing+=("$minor")
  done
fi

if ((list)); then
  for i in "${!pythons[@]}"; do echo "${versions[i]} ${pythons[i]}"; done
  for minor in "${missing[@]}"; do echo "$minor not found"; done
  exit 0
fi

out=${MATRIX_DIR:-$(mktemp -d /tmp/judgeops-matrix.XXXXXX)}
mkdir -p "$out"
dirty=$(git -C "$repo" status --porcelain --untracked-files=no | head -1)
[[ -n $dirty ]] && echo "python-matrix: the working tree has uncommitted changes; testing HEAD $(git -C "$repo" rev-parse --short HEAD)" >&2
echo "python-matrix: ${versions[*]:-none} (supported: ${supported[*]}); clones and logs in $out" >&2
# tests/conftest.py finds the shared data beside the repository; the clones are elsewhere.
[[ -d $repo/../shared/data && -z ${JUDGEOPS_SHARED_DATA:-} ]] && export JUDGEOPS_SHARED_DATA=$repo/../shared/data

minutes() { printf '%d min %02d s' $(($1 / 60)) $(($1 % 60)); }
results=() failed=0
for i in "${!pythons[@]}"; do
  py=${pythons[i]} v=${versions[i]} clone=$out/$v
  rm -rf "$clone"
  git clone -q "$repo" "$clone"
  start=$SECONDS
  if (cd "$clone" && make install PYTHON="$py") >"$out/$v.install.log" 2>&1; then
    installed=$SECONDS
    (cd "$clone" && make test) >"$out/$v.test.log" 2>&1
    rc=$?
    summary=$(grep -E '[0-9]+ (passed|failed)' "$out/$v.test.log" | tail -1 | tr -d '=' | xargs)
    line="$v ($py): $([[ $rc == 0 ]] && echo PASS || echo "FAIL (make test exit $rc)") -- install $(minutes $((installed - start))), test $(minutes $((SECONDS - installed))): ${summary:-no pytest summary; see $out/$v.test.log}"
  else
    rc=1
    line="$v ($py): FAIL (make install, after $(minutes $((SECONDS - start)))): $(grep -Ev '^(make|WARNING: Location)' "$out/$v.install.log" | tail -1) (log: $out/$v.install.log)"
  fi
  ((rc == 0)) || failed=1
  [[ ${KEEP_VENVS:-0} == 1 ]] || rm -rf "$clone/.venv"
  results+=("$line")
  echo "$line"
done
for minor in "${missing[@]}"; do
  line="$minor: not found (looked for python$minor on PATH, in /usr/bin, /usr/local/bin and pyenv)"
  results+=("$line")
  echo "$line"
done
echo "python-matrix: done in $(minutes "$SECONDS"); results:" >&2
printf '  %s\n' "${results[@]}" >&2
exit $failed
