"""What observability costs in instructions per /v1/chat/completions request (callgrind).

Run by hand: `python bench/instructions.py [requests]` (needs valgrind). The servers of
`bench/observability.py` (`none`, `log off`, `log on`, `stored`) run one after another under
callgrind, counting nothing while they start; after 300 requests of warm-up, the next
`requests` (default 1000, 16 at a time) are counted. Instruction counts do not drift with the
host's speed as CPU time does (the same server measures within 0.2% run to run here), so
small differences show. They miss what instructions do not show: cache misses, system calls
and thread hand-offs. A line the log writer writes costs more here than in real use, because
under callgrind the writer finds fewer lines waiting each time it wakes.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import count, post
from observability import KINDS, server
from proxy import HERE, free_port, register, wait_port

WARM = 300


def instructions(out: Path) -> int:
    """The instructions callgrind counted (every part it wrote)."""
    total = 0
    for part in out.parent.glob(out.name + "*"):
        for line in part.read_text().splitlines():
            if line.startswith(("summary:", "totals:")):
                total = max(total, int(line.split()[1]))
    return total


def measured(name: str, fake_port: int, requests: int) -> float:
    level, flush = KINDS[name]
    body = {"model": "bench", "messages": [{"role": "user", "content": "hi"}]}
    request = post("/v1/chat/completions", json.dumps(body).encode())
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp, "callgrind.out")
        under = (
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}",
        )
        port = free_port()
        process = server(port, tmp, name.replace(" ", "_"), level, flush, under)
        try:
            wait_port(port, tries=3000)
            asyncio.run(register(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{fake_port}/v1"))
            asyncio.run(count("127.0.0.1", port, request, concurrency=16, total=WARM))
            subprocess.run(
                ["callgrind_control", "-i", "on", str(process.pid)], check=True, capture_output=True
            )
            answered = asyncio.run(
                count("127.0.0.1", port, request, concurrency=16, total=requests)
            )
            subprocess.run(
                ["callgrind_control", "-i", "off", str(process.pid)],
                check=True,
                capture_output=True,
            )
        finally:
            process.terminate()
            process.wait()
        if answered != requests:
            raise RuntimeError(f"{name}: {requests - answered} requests failed")
        return instructions(out) / requests


def main() -> None:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    fake_port = free_port()
    fake = subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "fastbackend:app", "--app-dir", str(HERE),
            "--port", str(fake_port), "--log-level", "error", "--no-access-log",
            "--lifespan", "off",
        ]
    )  # fmt: skip
    try:
        wait_port(fake_port)
        base = 0.0
        for name in KINDS:
            each = measured(name, fake_port, requests)
            base = base or each
            print(
                f"{name:<10} {each / 1000:8.1f} k instructions/request"
                f"  added {(each - base) / 1000:+7.1f} k  x{each / base:.3f} of none",
                flush=True,
            )
    finally:
        fake.terminate()
        fake.wait()


if __name__ == "__main__":
    main()
