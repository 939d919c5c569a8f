"""No residue: a sample cannot find an earlier sample's program, nor its own test's
expected values, in its objects or anywhere in its address space.

The probe knows each marker only as two halves it never joins; it reports a marker
as found where the first half is directly followed by the second, in any string the
garbage collector can reach or in any readable page of its memory (read through
``write(2)`` from its own addresses, which fails with EFAULT instead of crashing on an
unmapped page). Its own program's marker, written whole in its source, must be found:
that shows the search works.
"""

from __future__ import annotations

import uuid

from benchmarks.sandbox import Job, Sandbox
from tests.benchmarks.sandbox.conftest import GOOD_JOB, PATIENT_S

PROBE = '''
import ctypes, gc, os

OWN = "{own}"
HALVES = {{"own": ("{own1}", "{own2}"), "earlier": ("{earlier1}", "{earlier2}"),
           "expected": ("{expected1}", "{expected2}")}}
PAGE = 4096


def in_objects(first, second):
    for obj in gc.get_objects():
        for ref in [obj, *gc.get_referents(obj)]:
            if isinstance(ref, (str, bytes)):
                text = ref if isinstance(ref, str) else ref.decode("latin-1")
                at = text.find(first)
                while at >= 0:
                    if text.startswith(second, at + len(first)):
                        return True
                    at = text.find(first, at + 1)
    return False


def pages():
    """Addresses of pages near every object and below the heap's end."""
    libc = ctypes.CDLL(None)
    libc.sbrk.restype = ctypes.c_void_p
    found = set()
    for obj in gc.get_objects():
        base = id(obj) & ~(PAGE - 1)
        found.update(range(base - 64 * PAGE, base + 64 * PAGE, PAGE))
    top = libc.sbrk(0) & ~(PAGE - 1)
    found.update(range(top - 65536 * PAGE, top, PAGE))
    return sorted(found)


def in_memory(markers):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.write.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]
    r, w = os.pipe()
    found = dict.fromkeys(markers, False)
    tail = b""
    last = None
    for address in pages():
        n = libc.write(w, address, PAGE)
        if n <= 0:
            tail, last = b"", None
            continue
        data = os.read(r, n)
        if last is not None and address != last + PAGE:
            tail = b""
        chunk = tail + data
        for name, (first, second) in markers.items():
            at = chunk.find(first)
            while at >= 0 and not found[name]:
                if chunk[at + len(first):at + len(first) + len(second)] == second:
                    found[name] = True
                at = chunk.find(first, at + 1)
        tail, last = data[-64:], address
    return found


def probe():
    markers = {{k: (a.encode(), b.encode()) for k, (a, b) in HALVES.items()}}
    memory = in_memory(markers)
    return {{f"{{k}} in objects": in_objects(*HALVES[k]) for k in HALVES}} | {{
        f"{{k}} in memory": memory[k] for k in HALVES}}
'''


def halves() -> tuple[str, str]:
    return "MARKER" + uuid.uuid4().hex[:12], uuid.uuid4().hex[:12]


def test_a_sample_finds_no_earlier_sample_and_no_expected_value() -> None:
    earlier, own, expected = halves(), halves(), halves()
    earlier_program = f"SECRET = {''.join(earlier)!r}\ndef f():\n    return SECRET\n"
    earlier_test = f"assert f() == {''.join(earlier)!r}\n"
    program = PROBE.format(own="".join(own), own1=own[0], own2=own[1],
                           earlier1=earlier[0], earlier2=earlier[1],
                           expected1=expected[0], expected2=expected[1])
    # the expected value lives in the test, as a test's expected value does
    test = (f"EXPECTED = {''.join(expected)!r}\n"
            "found = probe()\n"
            "assert found == {'own in objects': True, 'own in memory': True,\n"
            "                 'earlier in objects': False, 'earlier in memory': False,\n"
            "                 'expected in objects': False, 'expected in memory': False},"
            " found\n")
    with Sandbox(workers=1) as sb:  # one worker: the earlier sample ran where the probe runs
        verdicts = sb.run([
            Job(earlier_program, test=earlier_test, entry_point="f", timeout_s=PATIENT_S),
            Job(earlier_program + "\nimport gc\nLEFT = [SECRET * 2 for _ in range(100)]\n",
                test=earlier_test, entry_point="f", timeout_s=PATIENT_S),
            GOOD_JOB,
            Job(program, test=test, entry_point="probe", timeout_s=PATIENT_S),
            GOOD_JOB,
        ])
    assert [v.status for v in verdicts] == ["passed"] * 5, verdicts[3]
