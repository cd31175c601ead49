"""The command line of both programs (src/cli, docs/cli.md): every command
answers --help, a mistyped command or option gets a suggestion, a usage
error prints the usage and exits 2, and the forms runc's clients write
keep working."""
import json
import os
import subprocess

from conftest import BUILD, RUNTIME

KAPSEL = os.path.join(BUILD, "src", "kapsel", "kapsel")

# every command, with the synopsis its --help must show
RUNTIME_COMMANDS = {
    "create": "ID", "start": "ID", "run": "ID", "state": "ID", "kill": "ID [SIGNAL]", "delete": "ID",
    "exec": "ID [CMD [ARGS...]]", "list": "", "spec": "", "features": "", "policy": "COMMAND ...",
    "ps": "ID [-- PS-ARGS...]", "pause": "ID", "resume": "ID", "update": "ID", "events": "ID",
}
POLICY_COMMANDS = {"check": "[FILE]", "explain": "BUNDLE", "rules": ""}
KAPSEL_COMMANDS = {"audit": "", "images": "", "image": "COMMAND ...", "load": "", "monitor": "", "rmi": "NAME|ID...",
                   "scan": "[IMAGE | db update]", "stats": "[CONTAINER...]", "tag": "SOURCE[:TAG]|ID TARGET[:TAG]", "version": ""}
KAPSEL_COMMANDS.update({"pull": "[REGISTRY/]NAME[:TAG|@DIGEST]", "push": "IMAGE [DESTINATION]",
                        "login": "REGISTRY", "logout": "REGISTRY"})
KAPSEL_COMMANDS.update({"import": "FILE|- [REPOSITORY[:TAG]]", "save": "NAME|ID...", "system": "COMMAND ..."})
KAPSEL_COMMANDS.update({"create": "IMAGE [COMMAND [ARG...]]", "run": "IMAGE [COMMAND [ARG...]]", "start": "CONTAINER...",
                        "stop": "CONTAINER...", "kill": "CONTAINER...", "rm": "CONTAINER...", "ps": "",
                        "inspect": "CONTAINER...", "wait": "CONTAINER...", "logs": "CONTAINER",
                        "rename": "CONTAINER NEW_NAME", "update": "CONTAINER...", "pause": "CONTAINER...",
                        "unpause": "CONTAINER...",
                        "restart": "CONTAINER...", "container": "COMMAND ...", "volume": "COMMAND ...",
                        "exec": "CONTAINER COMMAND [ARG...]", "network": "COMMAND ...",
                        "port": "CONTAINER [PORT[/PROTO]]", "events": ""})
KAPSEL_COMMANDS.update({"top": "CONTAINER [PS-OPTIONS...]", "diff": "CONTAINER", "export": "CONTAINER",
                        "cp": "CONTAINER:SRC DEST|-  or  SRC|- CONTAINER:DEST"})
# -h is Docker's --hostname there
HOSTNAME_H = ("create", "run")


def run(binary, *args, **kw):
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=30, **kw)


def listed_commands(out):
    """The names under "Commands:" in a --help text."""
    lines = out.split("\nCommands:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    return [line.split()[0] for line in lines]


def synopsis(prog, path, args):
    return f"usage: {prog} {path} [OPTIONS]" + (f" {args}" if args else "") + "\n"


def test_every_command_answers_help():
    for binary, prog, commands in ((RUNTIME, "kapsel-runtime", RUNTIME_COMMANDS), (KAPSEL, "kapsel", KAPSEL_COMMANDS)):
        top = run(binary, "--help")
        assert top.returncode == 0 and top.stderr == "", top
        assert top.stdout.startswith(f"usage: {prog} [GLOBAL OPTIONS] COMMAND"), top.stdout
        assert listed_commands(top.stdout) == list(commands), top.stdout
        for cmd, args in commands.items():
            for flag in ("--help",) if prog == "kapsel" and cmd in HOSTNAME_H else ("--help", "-h"):
                p = run(binary, cmd, flag)
                assert p.returncode == 0 and p.stderr == "", (cmd, flag, p)
                assert p.stdout.startswith(synopsis(prog, cmd, args)), (cmd, p.stdout)
                if cmd not in ("policy", "image", "system", "container", "volume", "network"):   # command groups
                    assert "  -h, --help " in p.stdout or "      --help " in p.stdout, (cmd, p.stdout)
            # help COMMAND says the same
            assert run(binary, "help", cmd).stdout == p.stdout, cmd
    for cmd, args in POLICY_COMMANDS.items():
        p = run(RUNTIME, "policy", cmd, "--help")
        assert p.returncode == 0 and p.stdout.startswith(synopsis("kapsel-runtime", "policy " + cmd, args)), p
    assert listed_commands(run(RUNTIME, "policy", "--help").stdout) == list(POLICY_COMMANDS)


def test_help_lists_each_option():
    # the table is the help: every option kill, exec and audit accept is shown
    out = run(RUNTIME, "exec", "--help").stdout
    for opt in ("-p, --process FILE", "-t, --tty", "-d, --detach", "--pid-file FILE", "--console-socket PATH",
                "--cwd DIR", "-e, --env KEY=VALUE", "-u, --user UID[:GID]", "--preserve-fds N", "--ignore-paused"):
        assert opt in out, (opt, out)
    out = run(RUNTIME, "update", "--help").stdout
    assert "-r, --resources FILE" in out and "--memory BYTES" in out and "set linux.resources.memory.limit" in out
    out = run(KAPSEL, "audit", "--help").stdout
    assert "-f, --format text|json|sarif|junit" in out and "--fail-on LEVEL" in out
    assert "Exit status: 0 nothing at the --fail-on level, 1 findings, 2 usage error, 3 error." in out


def test_mistyped_command_suggests():
    for binary, typo, right in ((RUNTIME, "delet", "delete"), (RUNTIME, "exce", "exec"), (RUNTIME, "upd", "update"),
                                (KAPSEL, "audti", "audit")):
        p = run(binary, typo, "x")
        assert p.returncode == 2 and p.stdout == "", p
        assert f"unknown command '{typo}'; did you mean '{right}'?" in p.stderr, p
        assert "usage: " in p.stderr, p
    p = run(RUNTIME, "stat", "x")
    assert p.returncode == 2 and "did you mean 'start' or 'state'?" in p.stderr, p
    p = run(RUNTIME, "checkpoint", "x")
    assert p.returncode == 2 and "unknown command 'checkpoint'" in p.stderr and "did you mean" not in p.stderr, p
    p = run(RUNTIME, "policy", "explian", "x")
    assert p.returncode == 2 and "did you mean 'explain'?" in p.stderr, p


def test_mistyped_option_suggests(tmp_path):
    p = run(RUNTIME, "--root", str(tmp_path), "create", "--bundel", "b", "x")
    assert p.returncode == 2 and "unknown option --bundel; did you mean --bundle?" in p.stderr, p
    assert "usage: kapsel-runtime create [OPTIONS] ID\n" in p.stderr, p
    p = run(KAPSEL, "audit", "--fail-onn", "warn")
    assert p.returncode == 2 and "did you mean --fail-on?" in p.stderr, p


def test_usage_errors_print_the_usage(tmp_path):
    R = (RUNTIME, "--root", str(tmp_path))
    cases = [
        ((*R, "kill"), "kill: missing ID", "usage: kapsel-runtime kill [OPTIONS] ID [SIGNAL]\n"),
        ((*R, "kill", "a", "TERM", "c"), 'kill: unexpected argument "c"', "usage: kapsel-runtime kill"),
        ((*R, "kill", "a", "NOSIG"), 'kill: unknown signal "NOSIG"', "usage: kapsel-runtime kill"),
        ((*R, "list", "x"), 'list: takes no arguments, not "x"', "usage: kapsel-runtime list [OPTIONS]\n"),
        ((*R, "events", "--interval", "0s", "x"), "--interval must be greater than 0", "usage: kapsel-runtime events"),
        ((*R, "create", "--preserve-fds", "-1", "x"), "--preserve-fds must be from 0 to 65536", "usage: kapsel-runtime create"),
        ((*R, "create", "--pid-file"), "option --pid-file needs a value (FILE)", "usage: kapsel-runtime create"),
        ((*R, "delete", "--force=yes", "x"), "option --force takes no value (or =true, =false), not \"yes\"", "usage: kapsel-runtime delete"),
        ((RUNTIME, "--ro", "/x", "list"), "option --ro is ambiguous (--root, --rootless)", "usage: kapsel-runtime [GLOBAL"),
        (R, "a command is required", "usage: kapsel-runtime [GLOBAL OPTIONS]"),
        ((RUNTIME, "--root", "rel", "list"), "--root must be an absolute path", "usage: kapsel-runtime [GLOBAL"),
        ((*R, "policy"), "policy: a command is required", "usage: kapsel-runtime policy [OPTIONS] COMMAND ...\n"),
        ((KAPSEL, "audit", "--threads", "0"), "--threads must be from 1 to 64", "usage: kapsel audit [OPTIONS]\n"),
        ((KAPSEL, "audit", "extra"), 'audit: takes no arguments, not "extra"', "usage: kapsel audit"),
        ((KAPSEL,), "a command is required", "usage: kapsel [GLOBAL OPTIONS]"),
    ]
    for argv, msg, usage in cases:
        p = subprocess.run(list(argv), capture_output=True, text=True, timeout=30)
        assert p.returncode == 2, (argv, p)
        assert msg in p.stderr and usage in p.stderr, (argv, p.stderr)
        assert p.stdout == "", (argv, p)


def test_usage_error_reaches_the_log(tmp_path):
    # containerd and Docker show the runtime's error from its --log file
    log = tmp_path / "log.json"
    p = run(RUNTIME, "--root", str(tmp_path), "--log", str(log), "--log-format=json", "kill", "--nope", "x")
    assert p.returncode == 2 and "usage: kapsel-runtime kill" in p.stderr, p
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(e["level"], e["msg"]) for e in entries] == [("error", "kill: unknown option --nope")], entries


def test_runc_forms_are_accepted(tmp_path):
    root = str(tmp_path / "state")
    # single-dash long names, = forms, a prefix, the ignored runc flags
    for glob in (["-root", root], ["--root=" + root], ["-root=" + root, "--rootless", "false", "--criu", "/x",
                                                       "--systemd-cgroup", "-debug"]):
        p = run(RUNTIME, *glob, "list", "-format", "json")
        assert p.returncode == 0 and p.stdout == "[]\n", (glob, p)
    # options after the id, as runc reorders them
    assert run(RUNTIME, "--root", root, "delete", "nosuch", "--force").returncode == 0
    assert run(RUNTIME, "--root", root, "delete", "-force", "nosuch").returncode == 0
    assert run(RUNTIME, "--root", root, "delete", "--fo", "nosuch").returncode == 0
    assert run(RUNTIME, "--root", root, "delete", "--force=true", "nosuch").returncode == 0
    p = run(RUNTIME, "--root", root, "delete", "--force=false", "nosuch")
    assert p.returncode == 1 and 'container "nosuch" does not exist' in p.stderr, p
    for args in (("kill", "--all", "nosuch", "9"), ("kill", "nosuch", "KILL", "--all"), ("kill", "-a", "nosuch")):
        p = run(RUNTIME, "--root", root, *args)
        assert p.returncode == 1 and 'container "nosuch" does not exist' in p.stderr, (args, p)
    # exec ends its options at the id: what follows is the command
    p = run(RUNTIME, "--root", root, "exec", "-t", "--env", "A=1", "-e", "B=2", "nosuch", "sh", "--help")
    assert p.returncode == 1 and "does not exist" in p.stderr, p
    p = run(RUNTIME, "--version")
    assert p.returncode == 0 and p.stdout.startswith("kapsel-runtime version ") and "spec: 1.2.0" in p.stdout
    assert run(RUNTIME, "-v").stdout == p.stdout
    for args in (("--version",), ("-v",), ("version",)):
        p = run(KAPSEL, *args)
        assert p.returncode == 0 and p.stdout.startswith("kapsel version "), (args, p)


def test_heavy_libraries_are_loaded_at_first_use(tmp_path):
    """kapsel links neither libcurl, libarchive (their forty
    dependencies cost every command ~9 ms to bind), libssl, libcrypto nor
    libsqlite3 (~1 ms of relocations): a command that
    needs none runs without them, one that needs libcurl loads it, and a
    libcurl that cannot be loaded is one line naming it and the package,
    exit 127, as the dynamic loader would have said."""
    needed = subprocess.run(["readelf", "-d", KAPSEL], capture_output=True, text=True, check=True).stdout
    for lib in ("libcurl", "libarchive", "libssl", "libcrypto", "libsqlite3", "libmicrohttpd", "libgnutls"):
        assert lib not in needed, needed
    real = subprocess.run(["sh", "-c", "readlink -f $(ldconfig -p | awk '/libcurl.so.4 .*x86-64/ {print $NF; exit}')"],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert os.path.exists(real), real
    root = tmp_path / "root"
    script = (f"mount --bind /dev/null {real} && "
              f"{KAPSEL} --root {root} images -q && echo images-ok && "
              f"{KAPSEL} --root {root} pull 127.0.0.1:1/nothing:1; echo rc=$?")
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                       capture_output=True, text=True, timeout=60)
    assert "images-ok" in p.stdout, (p.stdout, p.stderr)
    assert "rc=127" in p.stdout, (p.stdout, p.stderr)
    assert "kapsel: libcurl.so.4: " in p.stderr and "install Debian's libcurl4 package" in p.stderr, p.stderr
    # and where it loads, pull gets as far as the network
    p = subprocess.run([KAPSEL, "--root", str(root), "pull", "127.0.0.1:1/nothing:1"], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 1 and "127.0.0.1:1" in p.stderr, p.stderr
