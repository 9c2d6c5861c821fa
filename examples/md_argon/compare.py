#!/usr/bin/python3
"""compare.py REF MODEL [REF2]: the integrated absolute difference
∫|g_MODEL(r) - g_REF(r)| dr (Å) of the rdf.csv files in two tanne md output
folders, and with REF2 the same against it and between the two reference
runs (the noise floor). Also each RDF's first peak."""
import csv
import sys


def rdf(folder):
    with open(f"{folder}/rdf.csv") as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    return [float(x["r_A"]) for x in rows], [float(x["g"]) for x in rows]


def integrated(a, b):
    (r, ga), (r2, gb) = a, b
    if r != r2:
        sys.exit("compare.py: the RDFs have different bins")
    width = r[1] - r[0]
    return sum(abs(x - y) for x, y in zip(ga, gb)) * width


def peak(g):
    r, v = g
    k = max(range(len(v)), key=v.__getitem__)
    return f"first peak g = {v[k]:.3f} at {r[k]:.3f} Å"


if len(sys.argv) < 3:
    sys.exit(__doc__)
ref, model = rdf(sys.argv[1]), rdf(sys.argv[2])
print(f"reference ({sys.argv[1]}): {peak(ref)}")
print(f"model     ({sys.argv[2]}): {peak(model)}")
print(f"∫|g_model - g_ref| dr = {integrated(model, ref):.4f} Å")
if len(sys.argv) > 3:
    ref2 = rdf(sys.argv[3])
    print(f"∫|g_model - g_ref2| dr = {integrated(model, ref2):.4f} Å")
    print(f"∫|g_ref2 - g_ref| dr = {integrated(ref2, ref):.4f} Å (two reference runs: the noise)")
