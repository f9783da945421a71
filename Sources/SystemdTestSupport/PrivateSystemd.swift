import Foundation

/// A throwaway systemd for tests: systemd boots as PID 1 of new PID, mount, cgroup, UTS and IPC
/// namespaces (the way `systemd-nspawn` runs a container, but on the host's own root), starts
/// one unit, and exits with that unit's result. So a unit's real sandbox (seccomp filters,
/// `MemoryDenyWriteExecute=`, `ProtectSystem=`, `User=`, `LoadCredential=`, socket activation)
/// applies to the process under test, though the host's PID 1 is not systemd.
///
/// The manager sees only the units given (`SYSTEMD_UNIT_PATH`), each with a drop-in setting
/// `DefaultDependencies=no`, so nothing of the host's boot (udev, sysctl, networking) starts;
/// dependencies on other units are simply not found.
///
/// What the namespaced systemd writes stays private: `/etc` and `/var` are overlays with a
/// throwaway upper layer (so `systemd-sysusers` may add users), `/run` and `/tmp` are fresh
/// tmpfs, and it manages cgroups below a child of the harness's own cgroup, removed afterwards.
/// It shares the host's network, so a unit can reach servers on the host's loopback.
///
/// Needs root, `unshare`, `script` (util-linux) and overlayfs.
public enum PrivateSystemd {
    /// Inside the namespaces, the host work directory is bind-mounted here: point
    /// `StandardOutput=file:…` or `LoadCredential=…:…` at it. Files written to it come back
    /// in ``Result/files``.
    public static let exchangeDirectory = "/run/tributary-harness"

    /// A unit file, or a drop-in when `name` is `UNIT.d/NAME.conf`.
    public struct UnitFile: Sendable {
        public var name: String
        public var contents: String

        public init(name: String, contents: String) {
            self.name = name
            self.contents = contents
        }
    }

    /// What the run left behind.
    public struct Result: Sendable {
        /// The manager's exit status: the started unit's main process status when it ran to its
        /// end (`SuccessAction=`/`FailureAction=exit-force` are added to it), 255 when it was
        /// killed by a signal, 124 when the time limit ran out.
        public var status: Int32
        /// The manager's debug log: unit loading, the sandbox set-up, how the process ended.
        public var managerLog: String
        /// Regular files left in ``PrivateSystemd/exchangeDirectory``, by name.
        public var files: [String: String]
    }

    /// Boots the private systemd, installs `units` into `/run/systemd/system`, applies the
    /// `sysusers` files (host paths), puts `files` into the exchange directory (a name may hold
    /// sub-directories), starts `unit`
    /// and waits for the manager to exit. Blocks: from async code use the `async` overload.
    public static func runBlocking(
        unit: String, units: [UnitFile], sysusers: [String] = [], files: [String: String] = [:],
        timeout: Duration = .seconds(90)
    ) throws -> Result {
        guard getuid() == 0 else { throw HarnessError("the private systemd needs root (namespaces, overlays)") }
        guard let systemd = Command.firstExecutable(["/lib/systemd/systemd", "/usr/lib/systemd/systemd"]) else {
            throw HarnessError("systemd is not installed")
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            throw HarnessError("script(1) from util-linux is needed for the manager's console")
        }
        let work = try temporaryDirectory(prefix: "tributary-systemd")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let exchange = work + "/exchange"
        let unitDirectory = work + "/units"
        let usersDirectory = work + "/sysusers"
        for directory in [exchange, unitDirectory, usersDirectory] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        for (name, contents) in files {
            let path = exchange + "/" + name
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try contents.write(toFile: path, atomically: false, encoding: .utf8)
        }
        var allUnits = units
        // Only these units exist (SYSTEMD_UNIT_PATH), so none may pull in sysinit.target & co.
        for file in units where !file.name.contains(".d/") {
            allUnits.append(UnitFile(name: file.name + ".d/zz-tributary-harness.conf", contents: """
                [Unit]
                DefaultDependencies=no
                """))
        }
        allUnits.append(UnitFile(name: unit + ".d/zz-tributary-harness-exit.conf", contents: """
            [Unit]
            SuccessAction=exit-force
            FailureAction=exit-force
            """))
        for file in allUnits {
            let path = unitDirectory + "/" + file.name
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try file.contents.write(toFile: path, atomically: false, encoding: .utf8)
        }
        for (index, path) in sysusers.enumerated() {
            try FileManager.default.copyItem(atPath: path, toPath: usersDirectory + "/\(index).conf")
        }
        let scripts = work + "/scripts"
        try FileManager.default.createDirectory(atPath: scripts, withIntermediateDirectories: true)
        try outerScript.write(toFile: scripts + "/outer.sh", atomically: false, encoding: .utf8)
        try innerScript.write(toFile: scripts + "/inner.sh", atomically: false, encoding: .utf8)

        let run = try Command.runBlocking(
            "/bin/bash", [scripts + "/outer.sh", work, systemd, unit], timeout: timeout)
        let managerLog = ((try? String(contentsOfFile: work + "/console", encoding: .utf8)) ?? "").strippingTerminalEscapes()
        if run.status == 125 || run.status == 126 {
            throw HarnessError("the private systemd could not start (\(run.status)): \(run.standardError)\n\(managerLog)")
        }
        var collected: [String: String] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: exchange)) ?? [] {
            if let text = try? String(contentsOfFile: exchange + "/" + name, encoding: .utf8) { collected[name] = text }
        }
        return Result(status: run.timedOut ? 124 : run.status, managerLog: managerLog, files: collected)
    }

    /// ``runBlocking(unit:units:sysusers:files:timeout:)`` on a thread of its own.
    public static func run(
        unit: String, units: [UnitFile], sysusers: [String] = [], files: [String: String] = [:],
        timeout: Duration = .seconds(90)
    ) async throws -> Result {
        try await onDedicatedThread {
            try runBlocking(unit: unit, units: units, sysusers: sysusers, files: files, timeout: timeout)
        }
    }

    /// On the host: join a fresh child cgroup in every hierarchy (so the namespaced manager's
    /// cgroups land below it), run the namespaces under script(1) for a console, then leave
    /// and remove the cgroups. $1 work directory, $2 systemd, $3 unit.
    private static let outerScript = #"""
        set -u
        work="$1" systemd="$2" unit="$3"
        id="tributary-harness-$$"
        created=()
        original=()
        mapfile -t memberships < /proc/self/cgroup
        for membership in "${memberships[@]}"; do
            IFS=: read -r _ controllers path <<<"$membership"
            base=""
            while read -r _ mountpoint fstype options _; do
                if [ -z "$controllers" ]; then
                    if [ "$fstype" = cgroup2 ]; then base="$mountpoint"; break; fi
                elif [ "$fstype" = cgroup ]; then
                    match=1
                    IFS=, read -ra wanted <<<"$controllers"
                    for controller in "${wanted[@]}"; do [[ ",$options," == *",$controller,"* ]] || match=0; done
                    if [ "$match" = 1 ]; then base="$mountpoint"; break; fi
                fi
            done < /proc/mounts
            [ -n "$base" ] || continue
            dir="$base${path%/}/$id"
            mkdir "$dir" || continue
            created+=("$dir")
            original+=("$base$path")
            if [ -f "$dir/cpuset.cpus" ]; then
                cat "$base$path/cpuset.cpus" >"$dir/cpuset.cpus"
                cat "$base$path/cpuset.mems" >"$dir/cpuset.mems"
            fi
            echo $$ >"$dir/cgroup.procs" || { echo "cannot join $dir" >&2; exit 125; }
        done
        cleanup() {
            for dir in "${original[@]}"; do echo $$ >"$dir/cgroup.procs" 2>/dev/null; done
            for dir in "${created[@]}"; do
                for _ in 1 2 3 4 5 6 7 8 9 10; do
                    find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null
                    [ -d "$dir" ] || break
                    sleep 0.2
                done
            done
        }
        trap cleanup EXIT
        script --quiet --return --command \
            "unshare --cgroup --mount --pid --fork --kill-child --uts --ipc --propagation private --mount-proc /bin/bash $work/scripts/inner.sh $work $systemd $unit" \
            "$work/console" </dev/null >/dev/null &
        console=$!
        # A time limit ends this script with SIGTERM: pass it on (unshare's --kill-child then
        # takes the whole namespace down) and still clean up.
        trap 'kill -TERM "$console" 2>/dev/null' TERM INT
        wait "$console"
        status=$?
        if kill -0 "$console" 2>/dev/null; then wait "$console"; fi
        exit "$status"
        """#

    /// PID 1 of the new namespaces, until it execs systemd. $1 work directory, $2 systemd, $3 unit.
    private static let innerScript = #"""
        set -u
        work="$1" systemd="$2" unit="$3"
        fail() { echo "$*" >&2; exit 125; }
        mount -t tmpfs -o mode=0755 tributary-harness /run || fail "cannot mount /run"
        mkdir -p /run/systemd/system /run/tributary-harness /run/overlay
        mount --bind "$work/exchange" /run/tributary-harness || fail "cannot bind the exchange directory"
        cp -r "$work/units/." /run/systemd/system/
        for tree in etc var; do
            mkdir -p "/run/overlay/$tree/upper" "/run/overlay/$tree/work"
            mount -t overlay tributary-harness \
                -o "lowerdir=/$tree,upperdir=/run/overlay/$tree/upper,workdir=/run/overlay/$tree/work" "/$tree" \
                || fail "cannot overlay /$tree"
        done
        for file in "$work"/sysusers/*.conf; do
            [ -e "$file" ] || continue
            systemd-sysusers "$file" || fail "systemd-sysusers $file failed"
        done
        # Last: $work itself lives under the host's /tmp.
        mount -t tmpfs -o mode=1777 tributary-harness /tmp || fail "cannot mount /tmp"
        # The cgroup hierarchies, remounted so they are rooted at this cgroup namespace.
        if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
            mount -t cgroup2 cgroup2 /sys/fs/cgroup || fail "cannot mount cgroup2"
        else
            hybrid=$([ -d /sys/fs/cgroup/unified ] && echo yes)
            mount -t tmpfs -o mode=0755 tributary-harness /sys/fs/cgroup || fail "cannot mount /sys/fs/cgroup"
            mkdir /sys/fs/cgroup/systemd
            mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd || fail "cannot mount name=systemd"
            if [ -n "$hybrid" ]; then
                mkdir /sys/fs/cgroup/unified
                mount -t cgroup2 cgroup2 /sys/fs/cgroup/unified || fail "cannot mount cgroup2"
            fi
        fi
        mount --bind "$(tty)" /dev/console || fail "cannot bind the console"
        # As on a booted system; the peer groups are new, so nothing propagates to the host.
        # (Credentials are set up in a child namespace and moved into /run/credentials.)
        mount --make-rshared / || fail "cannot make / shared"
        export container=tributary-harness
        # Only the units under test: nothing from the host's /etc or /lib (udev, sysctl, networking…)
        # may start in here.
        export SYSTEMD_UNIT_PATH=/run/systemd/system
        exec "$systemd" --system --unit="$unit" --log-target=console --log-level=debug --show-status=false
        """#
}

extension String {
    /// Without ANSI colour sequences and the carriage returns a terminal adds.
    fileprivate func strippingTerminalEscapes() -> String {
        var result = ""
        var iterator = unicodeScalars.makeIterator()
        while let scalar = iterator.next() {
            if scalar == "\r" { continue }
            if scalar == "\u{1B}" {
                // Skip `ESC [ … letter`.
                while let next = iterator.next(), !next.properties.isAlphabetic {}
                continue
            }
            result.unicodeScalars.append(scalar)
        }
        return result
    }
}
