"""The peak memory of a benchmark process, for Scripts/bench_pytorch.py and Scripts/bench_peers.py.

getrusage's ru_maxrss would not do: Linux carries the parent's peak into a child made by vfork (or
fork) and exec, as Python's subprocess and Swift's Process (posix_spawn) do, so a benchmark started
by stylebench after its own stylizations would report stylebench's peak when that is the larger.
VmHWM in /proc/self/status is the high-water mark of this process's own memory since its exec.
"""


def peak_resident_bytes():
    """This process's peak RSS since its exec: VmHWM in /proc/self/status (kB)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("/proc/self/status has no VmHWM line")
