"""A real single-node SLURM cluster on localhost, started and stopped by the tests.

Everything lives in one directory (``root``): a fresh munge key and socket,
slurm.conf, gres.conf, state/spool dirs, pid files and logs. Nothing under
/etc, /run or /var is touched, ports are picked free at start, so several
clusters (e.g. parallel test sessions) can run on one machine.

The node's shape is fixed (default 8 CPUs, 16 GB, 2 GPUs) whatever the machine has:
``SlurmdParameters=config_overrides`` makes slurmd trust slurm.conf, so tests behave the
same on a 2-core CI runner and a workstation (jobs are small; nothing enforces limits).
The node offers its GPUs as GRES. SLURM 22.05 drops GPUs without a
``File=`` ("Removing file-less GPU"), so each GPU is a symlink to /dev/null:
scheduling, ``--gres``/``--gpus`` and ``CUDA_VISIBLE_DEVICES`` work, nothing
touches hardware (TaskPlugin=task/none, no cgroup device constraint).

Usage::

    with slurm_cluster(tmp_dir) as cluster:
        subprocess.run(["snakemake", "--profile", "profiles/slurm",
                        *cluster.snakemake_args(), "target"], env=cluster.env())

The daemons run as children of this process (foreground mode), in their own
session, with an owner marker in their environment. ``stop()`` cancels jobs,
terminates the daemons, then kills any process still carrying the marker
(job steps included). ``start()`` also reaps daemons left by a test process
that died without cleaning up (SIGKILL), identified by the same marker.

slurmd must run as root to start job steps; the fixture therefore needs root.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SLURM_PROFILE = REPO_ROOT / "profiles" / "slurm"
REQUIRED_BINARIES = ("munged", "slurmctld", "slurmd", "sbatch", "srun", "squeue", "sinfo", "scontrol", "scancel")
OWNER_MARKER = "LT_REPRO_TEST_SLURM_OWNER"  # value: "<owner pid>:<cluster root>"
GPU_PARTITION = "lt-gpu"
CPU_PARTITION = "lt-cpu"
NODE_FEATURE = "ltnode"


def missing_binaries() -> list[str]:
    return [b for b in REQUIRED_BINARIES if shutil.which(b) is None and not Path("/usr/sbin", b).exists()]


def unavailable_reason() -> str | None:
    """Why a cluster cannot be started here, or None when it can."""
    missing = missing_binaries()
    if missing:
        return (f"SLURM/munge binaries not found: {', '.join(missing)}; "
                "install them with `scripts/setup.sh --test` (Debian: slurmctld slurmd slurm-client munge)")
    if os.geteuid() != 0:
        return "a test SLURM cluster needs root: slurmd must start job steps as the submitting user"
    return None


def _binary(name: str) -> str:
    return shutil.which(name) or str(Path("/usr/sbin", name))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _processes_with_marker() -> dict[int, str]:
    """pid -> marker value for every process whose environment has OWNER_MARKER."""
    found = {}
    needle = f"{OWNER_MARKER}=".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            env = (entry / "environ").read_bytes()
        except OSError:
            continue
        for var in env.split(b"\0"):
            if var.startswith(needle):
                found[int(entry.name)] = var.split(b"=", 1)[1].decode(errors="replace")
                break
    return found


def _kill_all(pids, sig=signal.SIGKILL) -> None:
    for pid in pids:
        if pid != os.getpid():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)


def job_logs(workdir: Path, lines: int = 30) -> str:
    """Tails of the SLURM job logs snakemake-executor-plugin-slurm wrote under workdir."""
    parts = []
    for log in sorted(Path(workdir).glob(".snakemake/slurm_logs/**/*.log")):
        tail = log.read_text(errors="replace").splitlines()[-lines:]
        parts.append(f"==== job log {log} (last {lines} lines) ====\n" + "\n".join(tail))
    return "\n".join(parts) or "(no SLURM job logs)"


def reap_orphans() -> list[int]:
    """Kill test-cluster processes whose owning test process no longer exists."""
    orphans = []
    for pid, value in _processes_with_marker().items():
        owner = int(value.split(":", 1)[0]) if value.split(":", 1)[0].isdigit() else -1
        if owner != os.getpid() and not Path(f"/proc/{owner}").exists():
            orphans.append(pid)
    _kill_all(orphans)
    return orphans


@dataclass
class SlurmCluster:
    root: Path
    gpus: int = 2
    cpus: int = 8
    mem_mb: int = 16000
    hostname: str = field(default_factory=lambda: socket.gethostname().split(".")[0])
    _procs: dict[str, subprocess.Popen] = field(default_factory=dict, repr=False)

    # ---- paths -------------------------------------------------------------
    @property
    def conf(self) -> Path:
        return self.root / "slurm.conf"

    @property
    def munge_socket(self) -> Path:
        return self.root / "munge" / "munge.socket"

    @property
    def marker(self) -> str:
        return f"{os.getpid()}:{self.root}"

    # ---- what tests use ----------------------------------------------------
    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """Environment for SLURM clients and Snakemake: this cluster's config and site facts."""
        env = dict(os.environ if base is None else base)
        for var in [v for v in env if v.startswith("SLURM_")]:
            del env[var]  # never inherit an outer job's context
        env.update({
            "SLURM_CONF": str(self.conf),
            "PATH": f"{self.root / 'bin'}{os.pathsep}{env.get('PATH', os.defpath)}",
            OWNER_MARKER: self.marker,  # lets stop() find leftover job processes
            "LT_SLURM_GPU_PARTITION": GPU_PARTITION,
            "LT_SLURM_CPU_PARTITION": CPU_PARTITION,
            "LT_SLURM_CONSTRAINT": NODE_FEATURE,
            "LT_SLURM_ACCOUNT": "",
            # the node's GPUs are stand-in device files: jobs get CUDA_VISIBLE_DEVICES from gres, but must
            # not take it for a real GPU (lt_repro.mm.stack would stop them, as it should on a real node)
            "LT_GPU_VISIBLE": "0",
        })
        return env

    @staticmethod
    def snakemake_args() -> list[str]:
        """Overrides of profiles/slurm that this accounting-free cluster needs."""
        return [
            "--slurm-no-account",                 # no slurmdbd, so no accounts
            "--slurm-status-command", "squeue",    # sacct needs accounting storage
            "--slurm-init-seconds-before-status-checks", "2",
            "--seconds-between-status-checks", "2",
        ]

    def snakemake(self, workdir: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        """Run `snakemake --profile profiles/slurm` in workdir against this cluster; raise with logs on failure."""
        cmd = [sys.executable, "-m", "snakemake", "--profile", str(SLURM_PROFILE), *self.snakemake_args(), *args]
        proc = subprocess.run(cmd, cwd=workdir, env=self.env(), capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise AssertionError(f"snakemake failed ({proc.returncode}): {' '.join(cmd)}\n"
                                 f"---- stderr ----\n{proc.stderr[-6000:]}\n{job_logs(workdir)}\n{self.logs()}")
        return proc

    def run(self, *cmd: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
        proc = subprocess.run(list(cmd), env=self.env(), capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr}\n{self.logs()}")
        return proc

    def logs(self, lines: int = 40) -> str:
        """Tails of the daemons' logs (their stdout where the log file was never written)."""
        parts = []
        for daemon in ("slurmctld", "slurmd", "munged"):
            path = self.root / "log" / f"{daemon}.log"
            if not path.exists():
                path = path.with_suffix(".stdout")
            text = path.read_text(errors="replace").splitlines()[-lines:] if path.exists() else ["(missing)"]
            parts.append(f"==== {path} (last {lines} lines) ====\n" + "\n".join(text))
        return "\n".join(parts)

    # ---- life cycle --------------------------------------------------------
    def write_config(self, slurmctld_port: int, slurmd_port: int) -> None:
        for sub in ("munge", "key", "log", "state", "spool", "dev", "bin"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        # munged: socket dir must be world-executable, key dir private, key 0400 owned by us
        self.root.chmod(0o755)
        (self.root / "munge").chmod(0o755)
        (self.root / "key").chmod(0o700)
        key = self.root / "key" / "munge.key"
        key.unlink(missing_ok=True)
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        for i in range(self.gpus):
            dev = self.root / "dev" / f"gpu{i}"
            if not dev.is_symlink():
                dev.symlink_to("/dev/null")
        # snakemake-executor-plugin-slurm-jobstep 0.6.1 removes every SLURM_* variable, SLURM_CONF
        # included, before the srun inside a job; without it srun cannot find this cluster.
        srun = self.root / "bin" / "srun"
        srun.write_text(f'#!/bin/sh\nSLURM_CONF="{self.conf}" exec "{_binary("srun")}" "$@"\n')
        srun.chmod(0o755)
        (self.root / "plugstack.conf").write_text("")  # keep /etc/slurm/plugstack.conf out
        r = self.root
        node = (f"NodeName={self.hostname} NodeAddr=127.0.0.1 CPUs={self.cpus} Boards=1 SocketsPerBoard=1 "
                f"CoresPerSocket={self.cpus} ThreadsPerCore=1 RealMemory={self.mem_mb} Gres=gpu:{self.gpus} "
                f"Features={NODE_FEATURE} State=UNKNOWN")
        self.conf.write_text(f"""\
# Written by tests/workflow/slurm_cluster.py: single-node test cluster, no accounting.
ClusterName=lttest{os.getpid()}
SlurmctldHost={self.hostname}(127.0.0.1)
SlurmctldPort={slurmctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={self.munge_socket}
StateSaveLocation={r}/state
SlurmdSpoolDir={r}/spool/%n
SlurmctldPidFile={r}/slurmctld.pid
SlurmdPidFile={r}/slurmd.pid
SlurmctldLogFile={r}/log/slurmctld.log
SlurmdLogFile={r}/log/slurmd.log
PlugStackConfig={r}/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MailProg=/bin/true
JobCompType=jobcomp/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
SchedulerType=sched/builtin
GresTypes=gpu
ReturnToService=2
SlurmdTimeout=60
InactiveLimit=0
MinJobAge=600
KillWait=5
SlurmdParameters=config_overrides
{node}
PartitionName={GPU_PARTITION} Nodes={self.hostname} MaxTime=INFINITE State=UP
PartitionName={CPU_PARTITION} Nodes={self.hostname} MaxTime=INFINITE State=UP
""")
        (self.root / "gres.conf").write_text(
            f"AutoDetect=off\nNodeName={self.hostname} Name=gpu File={r}/dev/gpu[0-{self.gpus - 1}]\n")

    def _spawn(self, name: str, cmd: list[str]) -> None:
        env = self.env()
        out = open(self.root / "log" / f"{name}.stdout", "ab")
        self._procs[name] = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, start_new_session=True)
        out.close()

    def _wait(self, what: str, ready, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self._procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode} while waiting for {what}\n{self.logs()}")
            if ready():
                return
            time.sleep(0.3)
        raise RuntimeError(f"timed out after {timeout:.0f}s waiting for {what}\n{self.logs()}")

    def node_state(self) -> str:
        """The node's state as sinfo prints it (e.g. idle, mixed, drained), '' if unreachable."""
        proc = self.run("sinfo", "-h", "-n", self.hostname, "-o", "%T", check=False, timeout=10)
        states = set(proc.stdout.split()) if proc.returncode == 0 else set()
        return states.pop() if len(states) == 1 else ",".join(sorted(states))

    def controller_up(self) -> bool:
        proc = self.run("scontrol", "ping", check=False, timeout=10)
        return proc.returncode == 0 and "is UP" in proc.stdout

    def start(self, timeout: float = 60) -> "SlurmCluster":
        reason = unavailable_reason()
        if reason:
            raise RuntimeError(reason)
        if len(str(self.munge_socket)) > 100:  # sockaddr_un.sun_path holds 108 bytes
            raise RuntimeError(f"cluster root {self.root} is too long for a unix socket path; use a shorter one")
        reap_orphans()
        self.write_config(_free_port(), _free_port())
        r = self.root
        self._spawn("munged", [_binary("munged"), "-F", "--force", f"--socket={self.munge_socket}",
                               f"--key-file={r}/key/munge.key", f"--pid-file={r}/munged.pid",
                               f"--seed-file={r}/key/munged.seed", f"--log-file={r}/log/munged.log"])
        self._wait("munged socket", self.munge_socket.exists, timeout)
        self._spawn("slurmctld", [_binary("slurmctld"), "-D", "-f", str(self.conf)])
        self._wait("slurmctld to answer scontrol ping", self.controller_up, timeout)
        (r / "spool" / self.hostname).mkdir(parents=True, exist_ok=True)
        self._spawn("slurmd", [_binary("slurmd"), "-D", "-f", str(self.conf), "-N", self.hostname])
        self._wait("node idle in sinfo", lambda: self.node_state() == "idle", timeout)
        return self

    def stop(self) -> None:
        """Cancel all jobs, stop the daemons, kill whatever still carries this cluster's marker."""
        try:
            if self._procs.get("slurmctld") and self._procs["slurmctld"].poll() is None:
                jobs = self.run("squeue", "-h", "-o", "%i", check=False, timeout=10).stdout.split()
                if jobs:
                    self.run("scancel", *jobs, check=False, timeout=10)
                    deadline = time.monotonic() + 15
                    while time.monotonic() < deadline and self.run(
                            "squeue", "-h", "-t", "PD,R,CG", "-o", "%i", check=False, timeout=10).stdout.strip():
                        time.sleep(0.5)
        except (subprocess.TimeoutExpired, OSError):
            pass
        finally:
            for name in ("slurmd", "slurmctld", "munged"):
                proc = self._procs.get(name)
                if proc is None or proc.poll() is not None:
                    continue
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
            _kill_all(pid for pid, value in _processes_with_marker().items() if value == self.marker)

    def __enter__(self) -> "SlurmCluster":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()


def _interrupt_on_sigterm(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")  # pytest stops the session and runs finalizers


@contextlib.contextmanager
def slurm_cluster(root: Path, **shape):
    """Start a cluster under ``root`` (created if missing); always stopped on exit.

    ``shape``: gpus, cpus, mem_mb of the single node (see SlurmCluster)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    cluster = SlurmCluster(root=root, **shape)
    # SIGTERM (e.g. CI cancelling the job) would skip finally blocks: turn it into an interrupt.
    previous = signal.getsignal(signal.SIGTERM)
    installed = False
    if previous in (signal.SIG_DFL, None):
        with contextlib.suppress(ValueError):  # not in the main thread
            signal.signal(signal.SIGTERM, _interrupt_on_sigterm)
            installed = True
    try:
        with cluster:
            yield cluster
    finally:
        if installed:
            signal.signal(signal.SIGTERM, previous)
