"""sakura-broker prepares its descriptors at startup: the soft open-files limit raised to the hard
one, and the kernel's descriptor table sized for it at once (app/src/descriptors.hpp)."""
import resource

from conftest import proc_status


def open_files_limit(pid):
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                soft, hard = line.split()[3:5]
                return int(soft), int(hard)
    raise AssertionError("no open files limit")


def test_soft_limit_is_raised_and_the_table_sized_before_any_connection(start_broker):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    low = min(1024, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (low, hard))  # what the broker inherits
    try:
        b = start_broker()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    pid = b.proc.pid
    assert open_files_limit(pid) == (hard, hard)
    if hard > low:
        assert "soft limit raised from 1024" in b.log()
    # FDSize is the table's slot count; left to itself the kernel grows it in doublings from 64
    # as descriptors are opened, and a fresh broker holds a few dozen.
    assert proc_status(pid, "FDSize") >= min(hard, 1 << 20)
