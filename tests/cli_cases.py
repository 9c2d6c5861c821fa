"""What the command-line tests share: the tanne binary under test ($TANNE_BIN,
else build/tanne) and a runner of test cases. A case is a function that
returns None when it passed or a reason to skip, and raises AssertionError
when it failed; finish() prints the "N passed, N failed, N skipped" line
that tests/run.sh sums."""
import os
import sys

TANNE = os.path.abspath(os.environ.get("TANNE_BIN", "build/tanne"))
results = {"passed": 0, "failed": 0, "skipped": 0}

# The model and train sections of a tiny SchNet config: two epochs of a
# one-step network, seconds to train and not a good model. Tests add their
# own data and output sections.
TINY_SCHNET = """model:
  features: 8
  interactions: 1
  n_basis: 8
train:
  epochs: 2
  batch_size: 4
"""


def case(fn):
    try:
        why = fn()
        if why:
            print(f"  skip {fn.__name__}: {why}")
            results["skipped"] += 1
        else:
            print(f"  ok   {fn.__name__}")
            results["passed"] += 1
    except AssertionError as e:
        print(f"  FAIL {fn.__name__}: {e}")
        results["failed"] += 1


def finish():
    """The count line; the exit status for sys.exit."""
    print(f"{results['passed']} passed, {results['failed']} failed, {results['skipped']} skipped")
    sys.stdout.flush()
    return 1 if results["failed"] else 0


def damaged_copies(model, folder):
    """Two broken copies of a model file in folder: one with a bit flipped in
    the middle (the checksum catches it) and one cut to a third of its length.
    Returns their paths (flipped, truncated)."""
    data = open(model, "rb").read()
    flipped = bytearray(data)
    flipped[len(flipped) // 2] ^= 0x40
    corrupt = os.path.join(folder, "corrupt.tnm")
    with open(corrupt, "wb") as f:
        f.write(flipped)
    truncated = os.path.join(folder, "truncated.tnm")
    with open(truncated, "wb") as f:
        f.write(data[:len(data) // 3])
    return corrupt, truncated
