# Sourced (bash) by bin/demo and .ci/run: puts on a Debian host what berth needs, saying what and why.
#   need_packages WHO "pkg: why" ...   installs the packages not installed (apt-get update first)
#   need_node_headers WHO              makes node-gyp build better-sqlite3 against the running Node
#   need_node_modules WHO              `npm ci` when node_modules is missing or not package-lock.json's

need_packages() {
  local who=$1 item pkg
  shift
  local missing=() why=()
  for item in "$@"; do
    pkg=${item%%:*}
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' && continue
    missing+=("$pkg")
    why+=("$item")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null; then
    echo "$who: these Debian packages are needed and there is no apt-get here to install them:" >&2
    printf '  %s\n' "${why[@]}" >&2
    return 1
  fi
  echo "$who: installing the Debian packages it needs (apt-get update, then apt-get install):"
  printf '  %s\n' "${why[@]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# better-sqlite3's prebuilt binary is downloaded from outside the npm registry, which a host like this
# cannot reach, so `npm ci` builds it from source with node-gyp: python3, make, g++ and the C headers
# of the running Node. node-gyp would download those headers too, unless npm's nodedir names a
# directory that has them: NodeSource's nodejs package (this machine's Node) installs them in
# /usr/include/node; Debian's own nodejs has them in libnode-dev.
need_node_headers() {
  local who=$1 want have dir
  want=$(node -p process.versions.node)
  for dir in "${npm_config_nodedir:-}" "$(npm config get nodedir 2>/dev/null)" /usr /usr/local; do
    [ -n "$dir" ] && [ -f "$dir/include/node/node_version.h" ] || continue
    have=$(awk '/^#define NODE_(MAJOR|MINOR|PATCH)_VERSION /{v = v (v == "" ? "" : ".") $3} END{print v}' "$dir/include/node/node_version.h")
    if [ "$have" = "$want" ]; then
      export npm_config_nodedir=$dir
      return 0
    fi
  done
  echo "$who: the C headers of Node $want are not installed (looked for include/node/node_version.h of that version under" >&2
  echo "  npm's nodedir, /usr and /usr/local); npm ci needs them to build better-sqlite3. Install the headers of this Node" >&2
  echo "  (NodeSource's nodejs package has them; Debian's nodejs: apt-get install libnode-dev) or set npm_config_nodedir." >&2
  return 1
}

need_node_modules() {
  local who=$1 why
  if why=$(node bin/modules-current.mjs); then return 0; fi
  echo "$who: running npm ci (installs package-lock.json's packages and builds berth): $why"
  npm ci
}
